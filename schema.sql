-- Integrity API schema (MySQL 8 / MariaDB 10.11). Embedded in the server at
-- build time and applied at every start: every statement must be idempotent.
-- A statement ends with ';' at the end of a line, or with the delimiter a
-- DELIMITER line sets (the stored routines' bodies hold ';'), as the mysql
-- client reads a script: `mariadb db < schema.sql` applies it too.

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
    -- throttling (SPEC 4): failures since the last completed login and the
    -- last lock's end (unix time; kept after it passes, so the next lock doubles).
    failed_logins      INT UNSIGNED NOT NULL DEFAULT 0,
    locked_until       BIGINT NULL,
    -- password checks in flight, and when they stop counting if nobody gives
    -- them back (their server died): never failures, only a bound on guesses.
    attempts_in_flight INT UNSIGNED NOT NULL DEFAULT 0,
    attempts_expire    BIGINT NULL,
    -- the open login challenge (SPEC 3): its end (unix time) and wrong codes so far.
    challenge_expires  BIGINT NULL,
    challenge_failures INT UNSIGNED NOT NULL DEFAULT 0,
    -- SPEC 9: a token whose iat (whole seconds, the issuing server's clock)
    -- is below this is refused. A password change, a 2FA reset set it to the
    -- second after the change; a new account to the second of its sign-up.
    tokens_valid_after BIGINT NOT NULL DEFAULT 0,
    created_at         TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_username (username),
    CONSTRAINT chk_users_username CHECK (CHAR_LENGTH(username) BETWEEN 3 AND 64)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Columns added after a release are added in place here as well, so a
-- database made by an older server keeps its rows and gains them (MariaDB's
-- IF NOT EXISTS makes the statement a no-op once they are there).
-- attempts_*: login attempts in flight (SPEC 4), counted apart from failures.
ALTER TABLE users
    ADD COLUMN IF NOT EXISTS attempts_in_flight INT UNSIGNED NOT NULL DEFAULT 0 AFTER locked_until,
    ADD COLUMN IF NOT EXISTS attempts_expire BIGINT NULL AFTER attempts_in_flight;
-- tokens_valid_after (SPEC 9): 0 for the rows of an older server, whose
-- tokens keep working until their owner revokes them.
ALTER TABLE users
    ADD COLUMN IF NOT EXISTS tokens_valid_after BIGINT NOT NULL DEFAULT 0 AFTER challenge_failures;

-- Tokens refused one by one (POST /logout, SPEC 9), by jti, until they would
-- have expired anyway: expires_at is the token's exp (unix time), and the
-- server deletes a bounded batch of expired rows with each insert.
CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti        VARBINARY(64) NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (jti),
    KEY ix_revoked_tokens_expires (expires_at)
) ENGINE=InnoDB;

-- The revocation epoch (SPEC 9; db/revocations.h): one row whose n the
-- triggers below raise in the same transaction as every change that refuses
-- tokens: a jti revoked (logout), a user's tokens_valid_after moved (password
-- change, 2FA reset), a user deleted. A server that found a token good when n
-- was k trusts it while its reads see k (GET /products and /products/<id>
-- read n in their own statement) and asks again once n moves: exact on every
-- instance, without a second round trip per request. Triggers rather than a
-- statement in each route: the bump cannot be forgotten by a new path, nor
-- lost between two statements, and an operator's own DELETE FROM users counts
-- too. On a Galera cluster the row's change replicates with the rest of the
-- transaction (triggers fire on the node that ran it).
CREATE TABLE IF NOT EXISTS revocation_epoch (
    id TINYINT UNSIGNED NOT NULL,
    n  BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB;
INSERT IGNORE INTO revocation_epoch (id, n) VALUES (1, 0);

DELIMITER //
CREATE TRIGGER IF NOT EXISTS revocation_epoch_users_update AFTER UPDATE ON users FOR EACH ROW
BEGIN
    IF NOT (NEW.tokens_valid_after <=> OLD.tokens_valid_after) THEN
        UPDATE revocation_epoch SET n = n + 1 WHERE id = 1;
    END IF;
END//
CREATE TRIGGER IF NOT EXISTS revocation_epoch_users_delete AFTER DELETE ON users FOR EACH ROW
BEGIN
    UPDATE revocation_epoch SET n = n + 1 WHERE id = 1;
END//
CREATE TRIGGER IF NOT EXISTS revocation_epoch_revoked_insert AFTER INSERT ON revoked_tokens
    FOR EACH ROW
BEGIN
    UPDATE revocation_epoch SET n = n + 1 WHERE id = 1;
END//
DELIMITER ;

-- Recovery codes (SPEC 9): HMAC-SHA256 of the user's id and the normalised
-- code under a key derived from JWT_SECRET_KEY (crypto/recovery.c), never
-- the code. A code is used by one conditional UPDATE (used_at IS NULL).
CREATE TABLE IF NOT EXISTS recovery_codes (
    user_id    BIGINT UNSIGNED NOT NULL,
    code_hash  BINARY(32) NOT NULL,
    used_at    TIMESTAMP(3) NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (user_id, code_hash),
    CONSTRAINT fk_recovery_codes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

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

-- Idempotency-Key of POST /products (SPEC 11): a create answered 503 may
-- still have committed, so a client retries with the same key and gets the
-- first answer instead of a second product. One row per user and key, made
-- in the create's own transaction (product_create_idem_v1): the request's
-- fingerprint (SHA-256 of its canonical fields, server/validate.c) and the
-- product as created, so that a replay renders the first answer byte for
-- byte even after the product changed or went. Rows older than 24 h no
-- longer count: a create with their key replaces them, and each keyed
-- create deletes a bounded batch of them (db/products.c). Keyed by the
-- user's id, never the name: the rows go with the account (ON DELETE
-- CASCADE, as recovery_codes), so a name signed up again sees none of them.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id      BIGINT UNSIGNED NOT NULL,
    idem_key     VARBINARY(255) NOT NULL,
    request_hash BINARY(32) NOT NULL,
    product_id   BIGINT UNSIGNED NOT NULL,
    name         VARCHAR(255) NOT NULL,
    description  VARCHAR(2000) NOT NULL,
    price        DECIMAL(10,2) NOT NULL,
    quantity     INT NOT NULL,
    created_at   TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (user_id, idem_key),
    KEY ix_idempotency_keys_created (created_at),
    CONSTRAINT fk_idempotency_keys_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- PUT/PATCH /products/<id> (SPEC 6) in one round trip: lock the row, check
-- If-Match (p_if_version 0: any), apply the sent fields (NULL: keep), write
-- the audit row and answer the stored row, in one transaction. A client's
-- values are parameters only; nothing is built from them as SQL text.
-- Answers one row: outcome (0 updated, 1 no such product, 2 version differs),
-- then the product's columns (NULL unless updated). Any SQL error rolls back
-- and reaches the caller as that error. The audit row is a single-row
-- INSERT ... VALUES: an INSERT ... SELECT would hold InnoDB's table-wide
-- AUTO-INC lock to its end (innodb_autoinc_lock_mode 1), one writer at a time.
-- Routines are never replaced in place (instances may run side by side
-- during an upgrade): a changed body gets a new name (_v2) and the old one
-- is dropped a release later.
-- Every routine sends its answer row as its last statement, after its COMMIT
-- or ROLLBACK: the server answers the client from that row and reads the
-- CALL's final status later (db_call_row in db/db.c), so nothing may follow
-- the row that could change what it says.
DELIMITER //
CREATE PROCEDURE IF NOT EXISTS product_update_v1(
    IN p_id         BIGINT UNSIGNED,
    IN p_if_version BIGINT UNSIGNED,
    IN p_name       VARCHAR(255) CHARACTER SET utf8mb4,
    IN p_desc       VARCHAR(2000) CHARACTER SET utf8mb4,
    IN p_price      VARCHAR(32) CHARACTER SET ascii,
    IN p_quantity   BIGINT,
    IN p_actor      VARCHAR(64) CHARACTER SET ascii)
    MODIFIES SQL DATA
    SQL SECURITY INVOKER
BEGIN
    DECLARE v_version INT UNSIGNED DEFAULT NULL;
    DECLARE v_name VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_desc VARCHAR(2000) CHARACTER SET utf8mb4;
    DECLARE v_price DECIMAL(10,2);
    DECLARE v_quantity INT;
    DECLARE v_before, v_after LONGTEXT CHARACTER SET utf8mb4;
    DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END; -- no row: v_version stays NULL
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    SELECT version,
           JSON_OBJECT('id', id, 'name', name, 'description', description, 'price', price,
                       'quantity', quantity)
      INTO v_version, v_before
      FROM products WHERE id = p_id FOR UPDATE;
    IF v_version IS NULL THEN
        ROLLBACK;
        SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL;
    ELSEIF p_if_version <> 0 AND v_version <> p_if_version THEN
        ROLLBACK;
        SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL;
    ELSE
        UPDATE products
           SET name = IFNULL(p_name, name), description = IFNULL(p_desc, description),
               price = IFNULL(p_price, price), quantity = IFNULL(p_quantity, quantity),
               version = version + 1
         WHERE id = p_id;
        SELECT name, description, price, quantity, version,
               JSON_OBJECT('id', id, 'name', name, 'description', description, 'price', price,
                           'quantity', quantity)
          INTO v_name, v_desc, v_price, v_quantity, v_version, v_after
          FROM products WHERE id = p_id;
        INSERT INTO product_history (product_id, action, username, before_json, after_json)
        VALUES (p_id, 'update', p_actor, v_before, v_after);
        COMMIT;
        SELECT 0, p_id, v_name, v_desc, v_price, v_quantity, v_version;
    END IF;
END//
DELIMITER ;

-- PUT/PATCH /products/<id>, as product_update_v1 answers it, with fewer
-- statements: the locking SELECT reads the row into variables, the new
-- values are worked out there (a variable of the column's type converts and
-- rounds a sent value as the column does), and the UPDATE, the audit row and
-- the answer are made from them, where v1 read the row a second time and
-- kept both images in LONGTEXT variables. The UPDATE still meets the
-- table's CHECK constraints, so a refused value rolls back as in v1. A
-- routine's numeric variable goes into JSON_OBJECT as a string unless CAST.
-- db/products.c calls v2; v1 stays for servers of the previous release
-- during an upgrade and goes in the next one. MariaDB's CPU per CALL is 6-9 %
-- lower than v1's (bench/findings.md).
DELIMITER //
CREATE PROCEDURE IF NOT EXISTS product_update_v2(
    IN p_id         BIGINT UNSIGNED,
    IN p_if_version BIGINT UNSIGNED,
    IN p_name       VARCHAR(255) CHARACTER SET utf8mb4,
    IN p_desc       VARCHAR(2000) CHARACTER SET utf8mb4,
    IN p_price      VARCHAR(32) CHARACTER SET ascii,
    IN p_quantity   BIGINT,
    IN p_actor      VARCHAR(64) CHARACTER SET ascii)
    MODIFIES SQL DATA
    SQL SECURITY INVOKER
BEGIN
    DECLARE v_version INT UNSIGNED DEFAULT NULL;
    DECLARE o_name, v_name VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE o_desc, v_desc VARCHAR(2000) CHARACTER SET utf8mb4;
    DECLARE o_price, v_price DECIMAL(10,2);
    DECLARE o_quantity, v_quantity INT;
    DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END; -- no row: v_version stays NULL
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    SELECT version, name, description, price, quantity
      INTO v_version, o_name, o_desc, o_price, o_quantity
      FROM products WHERE id = p_id FOR UPDATE;
    IF v_version IS NULL THEN
        ROLLBACK;
        SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL;
    ELSEIF p_if_version <> 0 AND v_version <> p_if_version THEN
        ROLLBACK;
        SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL;
    ELSE
        SET v_name = IFNULL(p_name, o_name), v_desc = IFNULL(p_desc, o_desc),
            v_price = IFNULL(p_price, o_price), v_quantity = IFNULL(p_quantity, o_quantity),
            v_version = v_version + 1;
        UPDATE products
           SET name = v_name, description = v_desc, price = v_price, quantity = v_quantity,
               version = v_version
         WHERE id = p_id;
        INSERT INTO product_history (product_id, action, username, before_json, after_json)
        VALUES (p_id, 'update', p_actor,
                JSON_OBJECT('id', CAST(p_id AS UNSIGNED), 'name', o_name, 'description', o_desc,
                            'price', CAST(o_price AS DECIMAL(10,2)),
                            'quantity', CAST(o_quantity AS SIGNED)),
                JSON_OBJECT('id', CAST(p_id AS UNSIGNED), 'name', v_name, 'description', v_desc,
                            'price', CAST(v_price AS DECIMAL(10,2)),
                            'quantity', CAST(v_quantity AS SIGNED)));
        COMMIT;
        SELECT 0, p_id, v_name, v_desc, v_price, v_quantity, v_version;
    END IF;
END//
DELIMITER ;

-- POST /products: the row and its "create" audit row in one transaction, in
-- one round trip. Answers one row: the new id.
DELIMITER //
CREATE PROCEDURE IF NOT EXISTS product_create_v1(
    IN p_name     VARCHAR(255) CHARACTER SET utf8mb4,
    IN p_desc     VARCHAR(2000) CHARACTER SET utf8mb4,
    IN p_price    VARCHAR(32) CHARACTER SET ascii,
    IN p_quantity BIGINT,
    IN p_actor    VARCHAR(64) CHARACTER SET ascii)
    MODIFIES SQL DATA
    SQL SECURITY INVOKER
BEGIN
    DECLARE v_id BIGINT UNSIGNED;
    DECLARE v_after LONGTEXT CHARACTER SET utf8mb4;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    INSERT INTO products (name, description, price, quantity)
    VALUES (p_name, p_desc, p_price, p_quantity);
    SET v_id = LAST_INSERT_ID();
    SELECT JSON_OBJECT('id', id, 'name', name, 'description', description, 'price', price,
                       'quantity', quantity)
      INTO v_after
      FROM products WHERE id = v_id;
    INSERT INTO product_history (product_id, action, username, after_json)
    VALUES (v_id, 'create', p_actor, v_after);
    COMMIT;
    SELECT v_id;
END//
DELIMITER ;

-- POST /products with an Idempotency-Key (SPEC 11), in one round trip and
-- one transaction. p_key is the key as sent, p_hash the request's
-- fingerprint. The owner is the user named p_actor (the token's subject),
-- read with a shared lock so that a concurrent DELETE /account waits for
-- this transaction or makes it find no user. A key of the user's written
-- less than 24 h ago answers from its row and writes nothing; else the
-- product and its "create" audit row are written as product_create_v1
-- writes them, with the key's row (an expired one replaced). Two first
-- requests racing with one key both miss the row at first; the second's
-- INSERT of the key waits for the first's commit and fails as a duplicate:
-- it rolls back its product and answers from the first's row. (No locking
-- read of the absent key: its gap lock, taken by both, made them deadlock.)
-- On Galera the loser is the one whose commit fails certification (1213):
-- the server runs the CALL again (db/db.c) and it then finds the row.
-- Answers one row: outcome (0 created, 1 the key's first answer for the
-- same request, 2 the key was used with another request, 3 no such user),
-- the product's id, then for 1 and 2 the product as first created (name,
-- description, price, quantity; NULL for 0 and 3).
DELIMITER //
CREATE PROCEDURE IF NOT EXISTS product_create_idem_v1(
    IN p_name     VARCHAR(255) CHARACTER SET utf8mb4,
    IN p_desc     VARCHAR(2000) CHARACTER SET utf8mb4,
    IN p_price    VARCHAR(32) CHARACTER SET ascii,
    IN p_quantity BIGINT,
    IN p_actor    VARCHAR(64) CHARACTER SET ascii,
    IN p_key      VARBINARY(255),
    IN p_hash     BINARY(32))
    MODIFIES SQL DATA
    SQL SECURITY INVOKER
BEGIN
    DECLARE v_user, v_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_hash BINARY(32);
    DECLARE v_expired, v_taken TINYINT DEFAULT 0;
    DECLARE v_name VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_desc VARCHAR(2000) CHARACTER SET utf8mb4;
    DECLARE v_price DECIMAL(10,2);
    DECLARE v_quantity INT;
    DECLARE v_after LONGTEXT CHARACTER SET utf8mb4;
    DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END; -- no row: the variables stay NULL
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    SELECT id INTO v_user FROM users WHERE username = p_actor LOCK IN SHARE MODE;
    IF v_user IS NOT NULL THEN
        SELECT request_hash, product_id, name, description, price, quantity,
               created_at < NOW(3) - INTERVAL 24 HOUR
          INTO v_hash, v_id, v_name, v_desc, v_price, v_quantity, v_expired
          FROM idempotency_keys WHERE user_id = v_user AND idem_key = p_key;
    END IF;
    IF v_user IS NULL THEN
        ROLLBACK;
        SELECT 3, NULL, NULL, NULL, NULL, NULL;
    ELSEIF v_id IS NOT NULL AND v_expired = 0 THEN
        ROLLBACK;
        SELECT IF(v_hash = p_hash, 1, 2), v_id, v_name, v_desc, v_price, v_quantity;
    ELSE
        IF v_id IS NOT NULL THEN -- expired: its key is free again
            DELETE FROM idempotency_keys
             WHERE user_id = v_user AND idem_key = p_key
               AND created_at < NOW(3) - INTERVAL 24 HOUR;
        END IF;
        INSERT INTO products (name, description, price, quantity)
        VALUES (p_name, p_desc, p_price, p_quantity);
        SET v_id = LAST_INSERT_ID();
        SELECT JSON_OBJECT('id', id, 'name', name, 'description', description, 'price', price,
                           'quantity', quantity)
          INTO v_after
          FROM products WHERE id = v_id;
        INSERT INTO product_history (product_id, action, username, after_json)
        VALUES (v_id, 'create', p_actor, v_after);
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1062 SET v_taken = 1; -- ER_DUP_ENTRY
            INSERT INTO idempotency_keys (user_id, idem_key, request_hash, product_id, name,
                                          description, price, quantity, created_at)
            VALUES (v_user, p_key, p_hash, v_id, p_name, p_desc, p_price, p_quantity, NOW(3));
        END;
        IF v_taken = 0 THEN
            COMMIT;
            SELECT 0, v_id, NULL, NULL, NULL, NULL;
        ELSE
            -- another request with the key committed first: its answer
            ROLLBACK;
            SET v_id = NULL;
            SELECT request_hash, product_id, name, description, price, quantity
              INTO v_hash, v_id, v_name, v_desc, v_price, v_quantity
              FROM idempotency_keys WHERE user_id = v_user AND idem_key = p_key;
            IF v_id IS NULL THEN -- gone again meanwhile: run it all again
                SIGNAL SQLSTATE '40001'
                   SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'idempotency key changed; try again';
            END IF;
            SELECT IF(v_hash = p_hash, 1, 2), v_id, v_name, v_desc, v_price, v_quantity;
        END IF;
    END IF;
END//
DELIMITER ;

-- DELETE /products/<id>: lock, check If-Match as product_update_v1 does,
-- delete, and write the "delete" audit row, in one transaction. Answers one
-- row: outcome (0 deleted, 1 no such product, 2 version differs).
DELIMITER //
CREATE PROCEDURE IF NOT EXISTS product_delete_v1(
    IN p_id         BIGINT UNSIGNED,
    IN p_if_version BIGINT UNSIGNED,
    IN p_actor      VARCHAR(64) CHARACTER SET ascii)
    MODIFIES SQL DATA
    SQL SECURITY INVOKER
BEGIN
    DECLARE v_version INT UNSIGNED DEFAULT NULL;
    DECLARE v_before LONGTEXT CHARACTER SET utf8mb4;
    DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END; -- no row: v_version stays NULL
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    SELECT version,
           JSON_OBJECT('id', id, 'name', name, 'description', description, 'price', price,
                       'quantity', quantity)
      INTO v_version, v_before
      FROM products WHERE id = p_id FOR UPDATE;
    IF v_version IS NULL THEN
        ROLLBACK;
        SELECT 1;
    ELSEIF p_if_version <> 0 AND v_version <> p_if_version THEN
        ROLLBACK;
        SELECT 2;
    ELSE
        DELETE FROM products WHERE id = p_id;
        INSERT INTO product_history (product_id, action, username, before_json)
        VALUES (p_id, 'delete', p_actor, v_before);
        COMMIT;
        SELECT 0;
    END IF;
END//
DELIMITER ;

-- A new set of recovery codes (SPEC 9) in one round trip and one
-- transaction: the old set is deleted and the new hashes (p_hashes, 32 bytes
-- each, concatenated) inserted, so two requests racing leave one whole set,
-- never a mix or none. Answers one row: the number of codes stored.
DELIMITER //
CREATE PROCEDURE IF NOT EXISTS recovery_codes_replace_v1(
    IN p_user   BIGINT UNSIGNED,
    IN p_hashes VARBINARY(1024))
    MODIFIES SQL DATA
    SQL SECURITY INVOKER
BEGIN
    DECLARE i INT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    START TRANSACTION;
    DELETE FROM recovery_codes WHERE user_id = p_user;
    WHILE (i + 1) * 32 <= LENGTH(p_hashes) DO
        INSERT INTO recovery_codes (user_id, code_hash)
        VALUES (p_user, SUBSTRING(p_hashes, i * 32 + 1, 32));
        SET i = i + 1;
    END WHILE;
    COMMIT;
    SELECT i;
END//
DELIMITER ;
