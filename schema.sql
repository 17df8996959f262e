-- Integrity API schema (MySQL 8 / MariaDB 10.11). Embedded in the server at
-- build time and applied at every start: every statement must be idempotent.
-- Statements are separated by a line that ends with ';'.

CREATE TABLE IF NOT EXISTS users (
    id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    -- ascii_general_ci: usernames are ASCII and unique ignoring case.
    username           VARCHAR(64) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    -- bcrypt $2b$ hash, 60 characters, as flask-bcrypt writes it.
    password_hash      VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    -- base32 secret, or a versioned ciphertext once TOTP_SECRET_KEY is set.
    totp_secret        VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    totp_enrolled      TINYINT(1) NOT NULL DEFAULT 0,
    -- the last 30-second step accepted: codes at or before it are replays.
    totp_last_step     BIGINT NOT NULL DEFAULT 0,
    -- throttling (SPEC 4): consecutive failures and the lock's end (unix time).
    failed_logins      INT UNSIGNED NOT NULL DEFAULT 0,
    locked_until       BIGINT NULL,
    -- the open login challenge (SPEC 3): its end (unix time) and wrong codes so far.
    challenge_expires  BIGINT NULL,
    challenge_failures INT UNSIGNED NOT NULL DEFAULT 0,
    created_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_username (username),
    CONSTRAINT chk_users_username CHECK (CHAR_LENGTH(username) BETWEEN 3 AND 64)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS products (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name        VARCHAR(255) NOT NULL,
    description VARCHAR(2000) NOT NULL DEFAULT '',
    price       DECIMAL(10,2) NOT NULL,
    quantity    INT NOT NULL,
    -- bumped by every change in the same statement; sent as the ETag.
    version     INT UNSIGNED NOT NULL DEFAULT 1,
    PRIMARY KEY (id),
    CONSTRAINT chk_products_price CHECK (price >= 0 AND price <= 99999999.99),
    CONSTRAINT chk_products_quantity CHECK (quantity >= 0),
    CONSTRAINT chk_products_name CHECK (CHAR_LENGTH(name) >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The audit trail (SPEC 6): one row per create, update and delete, written in
-- the same transaction as the change; no foreign key, so it outlives the product.
CREATE TABLE IF NOT EXISTS product_history (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    product_id  BIGINT UNSIGNED NOT NULL,
    action      ENUM('create', 'update', 'delete') NOT NULL,
    username    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    at          TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    before_json JSON NULL,
    after_json  JSON NULL,
    PRIMARY KEY (id),
    KEY ix_product_history_product (product_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
