#!/usr/bin/env python3
"""make_corpus.py - writes the committed seed corpora (corpus/<target>/) and
dictionaries (<target>.dict) of the libFuzzer targets in tests/fuzz.

Deterministic: running it again rewrites the same files (it first empties
each corpus directory, so a seed removed here disappears there). Standard
library only. The JWTs are signed with the fixed key and time that
fuzz_auth_header.c uses; keep KEY and NOW in sync with it.

    python3 tests/fuzz/make_corpus.py
"""
import base64
import hashlib
import hmac
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = b"fuzz-key-0123456789abcdef-012345"  # fuzz_key in fuzz_auth_header.c
NOW = 1700000000                           # FUZZ_NOW in fuzz_auth_header.c
assert len(KEY) == 32


def write_corpus(target, seeds):
    """seeds: {name: bytes or str}. Names are for people; libFuzzer ignores them."""
    d = os.path.join(HERE, "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def write_dict(target, words):
    """words: a list of bytes or str, written as libFuzzer dictionary entries."""
    lines = ["# " + target + ": written by make_corpus.py, do not edit"]
    for w in words:
        if isinstance(w, str):
            w = w.encode("utf-8")
        esc = "".join(
            chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else "\\x%02X" % b
            for b in w)
        lines.append('"%s"' % esc)
    with open(os.path.join(HERE, target + ".dict"), "w") as f:
        f.write("\n".join(lines) + "\n")


def js(obj):
    return json.dumps(obj, ensure_ascii=False)


# ---- what every JSON body target gets: the strict parser's cases (SPEC 2) ----

DEEP = 2000
COMMON_BODIES = {
    "empty": b"",
    "space-only": b"  \n\t ",
    "empty-object": b"{}",
    "array": b"[]",
    "string": b'"username"',
    "number": b"1",
    "null": b"null",
    "true": b"true",
    "truncated": b'{"username": "abc"',
    "trailing-garbage": b'{"username": "abc"} x',
    "two-objects": b'{"a": 1}{"b": 2}',
    "trailing-comma": b'{"a": 1,}',
    "single-quotes": b"{'a': 1}",
    "comment": b'{"a": 1 /* c */}',
    "bom": b'\xef\xbb\xbf{"a": 1}',
    "raw-nul-in-string": b'{"a": "x\x00y"}',
    "raw-nul-outside": b'{"a": 1}\x00',
    "escaped-nul": b'{"a": "x\\u0000y"}',
    "escaped-backslash-then-u0000": b'{"a": "x\\\\u0000y"}',
    "raw-control-char": b'{"a": "x\x01y"}',
    "raw-newline-in-string": b'{"a": "x\ny"}',
    "invalid-utf8-ff": b'{"a": "\xff"}',
    "invalid-utf8-overlong": b'{"a": "\xc0\xaf"}',
    "invalid-utf8-surrogate": b'{"a": "\xed\xa0\x80"}',
    "invalid-utf8-truncated": b'{"a": "\xe2\x82"}',
    "invalid-utf8-above-10ffff": b'{"a": "\xf4\x90\x80\x80"}',
    "utf8-4byte": '{"a": "\U0001F600"}'.encode(),
    "escaped-surrogate-pair": b'{"a": "\\ud83d\\ude00"}',
    "escaped-lone-surrogate": b'{"a": "\\ud800"}',
    "escaped-bad-hex": b'{"a": "\\u12g4"}',
    "escaped-short-hex": b'{"a": "\\u12"}',
    # The fuzz finding fixed in 533e9ad (cJSON read a bad \u escape as U+0000).
    "regression-bad-u-escape-cuts-password":
        b'{"username": "Hager666", "password": "mypassword\\uZZZZ-the-rest"}',
    "regression-bad-u-escape-cuts-name": b'{"name": "Lap\\u00zztop", "price": 1, "quantity": 1}',
    "escaped-unknown": b'{"a": "\\x41"}',
    "escapes-all": b'{"a": "\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u20AC"}',
    "duplicate-key": b'{"a": 1, "a": 2}',
    "duplicate-key-nested": b'{"a": {"b": 1, "b": 2}}',
    "duplicate-key-in-array": b'{"a": [{"b": 1, "b": 2}]}',
    "deep-arrays": b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "deep-objects": b'{"a": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}",
    "deep-unclosed": b"{" + b'"a":[' * DEEP,
    "numbers": b'{"a": [1e400, -1e400, 1e-400, -0, -0.0, 0.1e1, 1E+2, 12345678901234567890]}',
    "bad-numbers": b'{"a": 01}',
    "nan": b'{"a": NaN}',
    "infinity": b'{"a": Infinity}',
    "hex-number": b'{"a": 0x10}',
    "empty-key": b'{"": 1}',
}

USERNAME_CASES = {
    "username-short": "ab",
    "username-min": "abc",
    "username-max": "u" * 64,
    "username-long": "u" * 65,
    "username-specials": "a_b.c@d-e",
    "username-space": "bad name",
    "username-non-ascii": "\u00fcn\u00efc\u00f6d\u00e9",
    "username-empty": "",
    "username-slash": "a/b/c",
    "username-escapes": "ab\tc",
}
NOT_STRINGS = {"number": 123, "null": None, "true": True, "array": ["abc"],
               "object": {"x": "abc"}, "float": 1.5}


def body_seeds(valid, field_cases, extra_dicts):
    """The common cases, then `valid` with each field replaced by each case of
    field_cases ({field: {name: value}}), removed, or a non-string."""
    seeds = dict(COMMON_BODIES)
    seeds["valid"] = js(valid)
    seeds["valid-compact"] = json.dumps(valid, separators=(",", ":"))
    seeds["valid-escaped"] = json.dumps(valid, ensure_ascii=True, indent=2)
    seeds["valid-reordered"] = js(dict(reversed(list(valid.items()))))
    seeds["unknown-field"] = js(dict(valid, admin=True))
    seeds["unknown-field-only"] = js({"id": 1})
    first = next(iter(valid))
    seeds["key-case"] = js({(k.capitalize() if k == first else k): v for k, v in valid.items()})
    seeds["key-case-and-exact"] = js(dict(valid, **{first.upper(): valid[first]}))
    seeds["duplicate-field"] = ("{" + ", ".join(
        ['"%s": %s' % (k, js(v)) for k, v in valid.items()] +
        ['"%s": %s' % (first, js(valid[first]))]) + "}")
    for field, cases in field_cases.items():
        for name, value in cases.items():
            seeds[name] = js(dict(valid, **{field: value}))
        seeds[field + "-missing"] = js({k: v for k, v in valid.items() if k != field})
        for name, value in NOT_STRINGS.items():
            seeds["%s-%s" % (field, name)] = js(dict(valid, **{field: value}))
    for name, obj in extra_dicts.items():
        seeds[name] = obj if isinstance(obj, (bytes, str)) else js(obj)
    return seeds


# ---- POST /signup, POST /login (SPEC 3) ----

cred_valid = {"username": "Hager666", "password": "mypassword"}
cred_cases = {
    "username": USERNAME_CASES,
    "password": {
        "password-short": "1234567",
        "password-min": "12345678",
        "password-max": "p" * 72,
        "password-long": "p" * 73,
        "password-72-bytes-utf8": "\u00e9" * 36,
        "password-73-bytes-utf8": "\u00e9" * 36 + "x",
        "password-emoji": "\U0001F511" * 4,
        "password-empty": "",
        "password-spaces": "        ",
        "password-escapes": "pa\"ss\\wo/rd\b\f",
    },
}
cred_extra = {
    "password-escaped-nul": b'{"username": "Hager666", "password": "mypass\\u0000word"}',
    "password-invalid-utf8": b'{"username": "Hager666", "password": "mypass\xffword"}',
}
for target in ("fuzz_signup", "fuzz_login"):
    write_corpus(target, body_seeds(cred_valid, cred_cases, cred_extra))

# ---- POST /verify-2fa ----

code_valid = {"username": "Hager666", "code": "123456"}
code_cases = {
    "username": USERNAME_CASES,
    "code": {
        "code-5": "12345",
        "code-7": "1234567",
        "code-letter": "12345a",
        "code-space": " 123456",
        "code-newline": "123456\n",
        "code-arabic-digits": "\u0661\u0662\u0663\u0664\u0665\u0666",
        "code-fullwidth-digits": "\uff11\uff12\uff13\uff14\uff15\uff16",
        "code-sign": "+12345",
        "code-zeros": "000000",
        "code-empty": "",
    },
}
code_extra = {"code-number": {"username": "Hager666", "code": 123456},
              "code-leading-zero-number": b'{"username": "Hager666", "code": 012345}'}
write_corpus("fuzz_verify_2fa", body_seeds(code_valid, code_cases, code_extra))

# ---- POST /products, PUT/PATCH /products/<id> (SPEC 6) ----

prod_valid = {"name": "Laptop", "description": "Gaming laptop", "price": 1200.99,
              "quantity": 10}
prod_cases = {
    "name": {
        "name-empty": "",
        "name-blank": "   ",
        "name-whitespace": " \t\n\r\f\v",
        "name-255": "n" * 255,
        "name-256": "n" * 256,
        "name-255-2byte": "\u00e9" * 255,
        "name-256-2byte": "\u00e9" * 256,
        "name-255-emoji": "\U0001F4BB" * 255,
        "name-nbsp": "\u00a0",
    },
    "description": {
        "description-empty": "",
        "description-2000": "d" * 2000,
        "description-2001": "d" * 2001,
        "description-2000-3byte": "\u20ac" * 2000,
    },
}
RAW_PRICES = ["0", "0.0", "-0", "-0.0", "0.01", "1", "1200.99", "1200.9", "1200.999",
              "1200.9900000001", "1200.99000000000000001", "99999999.99", "99999999.994",
              "99999999.995", "99999999.999", "100000000", "-0.01", "-1", "1e400", "-1e400",
              "1e-400", "1.5e2", "12E-1", "1e8", "0.1", "0.7", "1.005", "4.35", "0.29",
              "5e-324", "1.7976931348623157e308", "123456789012345678901234567890",
              '"1200.99"', "null", "true"]
RAW_QUANTITIES = ["0", "10", "2147483647", "2147483648", "-1", "-0", "1.5", "10.0", "1e1",
                  "1e400", "9007199254740993", '"10"', "null", "false"]
prod_extra = {}
for p in RAW_PRICES:
    prod_extra["price-" + (p if p[0] != '"' else "string-" + p.strip('"'))] = (
        '{"name": "Laptop", "price": %s, "quantity": 10}' % p)
prod_extra["price-array"] = '{"name": "Laptop", "price": [1], "quantity": 10}'
prod_extra["price-object"] = '{"name": "Laptop", "price": {"v": 1}, "quantity": 10}'
for q in RAW_QUANTITIES:
    prod_extra["quantity-" + (q if q[0] != '"' else "string-" + q.strip('"'))] = (
        '{"name": "Laptop", "price": 1, "quantity": %s}' % q)
prod_extra["name-escaped-nul"] = b'{"name": "Lap\\u0000top", "price": 1, "quantity": 1}'
prod_extra["name-invalid-utf8"] = b'{"name": "Lap\xfftop", "price": 1, "quantity": 1}'
prod_extra["description-deep"] = (
    '{"name": "x", "price": 1, "quantity": 1, "description": ' + "[" * 500 + "]" * 500 + "}")
prod_extra["description-null-explicit"] = '{"name": "x", "price": 1, "quantity": 1, "description": null}'
prod_extra["id-field"] = '{"id": 5, "name": "x", "price": 1, "quantity": 1}'
prod_extra["all-wrong"] = '{"name": 1, "description": 2, "price": "3", "quantity": "4", "x": 5}'
prod_extra["no-description"] = '{"name": "Laptop", "price": 1200.99, "quantity": 10}'
prod_create = body_seeds(prod_valid, prod_cases, prod_extra)
write_corpus("fuzz_product_create", prod_create)

prod_update = dict(prod_create)
for k, v in prod_valid.items():
    prod_update["only-" + k] = js({k: v})
prod_update["only-price-bad"] = '{"price": 1200.999}'
prod_update["only-quantity-bad"] = '{"quantity": -1}'
prod_update["only-unknown"] = '{"colour": "red"}'
write_corpus("fuzz_product_update", prod_update)

BODY_WORDS = ['{', '}', '[', ']', ':', ',', '"', '\\"', '\\\\', '\\u', '\\u0000', '\\ud83d',
              '\\ude00', 'null', 'true', 'false', '-0', '1e400', '.99', 'e-', 'E+',
              '\xc3\xa9', '\xf0\x9f\x98\x80', b'\xff', b'\xed\xa0\x80', b'\xc0\xaf']
write_dict("fuzz_signup", BODY_WORDS + ['"username"', '"password"'])
write_dict("fuzz_login", BODY_WORDS + ['"username"', '"password"'])
write_dict("fuzz_verify_2fa", BODY_WORDS + ['"username"', '"code"', '"123456"'])
PRODUCT_WORDS = BODY_WORDS + ['"name"', '"description"', '"price"', '"quantity"',
                              '99999999.99', '2147483647', '1200.99', '0.01']
write_dict("fuzz_product_create", PRODUCT_WORDS)
write_dict("fuzz_product_update", PRODUCT_WORDS)

# ---- base32 (RFC 4648 section 10 vectors, padding, secrets) ----

b32 = {
    "empty": "",
    "rfc-f": "MY======", "rfc-fo": "MZXQ====", "rfc-foo": "MZXW6===", "rfc-foob": "MZXW6YQ=",
    "rfc-fooba": "MZXW6YTB", "rfc-foobar": "MZXW6YTBOI======",
    "unpadded-f": "MY", "unpadded-foobar": "MZXW6YTBOI",
    "lower": "mzxw6ytboi", "mixed": "MzXw6YtBoI",
    "spaces": "MZXW 6YTB OI", "spaces-only": "    ", "leading-space": " MY",
    "secret-160": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "secret-pyotp": "JBSWY3DPEHPK3PXP",
    "secret-grouped": "jbsw y3dp ehpk 3pxp",
    "bad-digit-1": "MZ1W", "bad-digit-8": "MZ8W", "bad-zero": "M0", "bad-char": "MZ!W",
    "bad-hyphen": "MZXW-6YTB",
    "bad-tail-1": "M", "bad-tail-3": "MZX", "bad-tail-6": "MZXW6Y",
    "stray-bits": "MZ", "stray-bits-7": "MZXW6YR",
    "pad-short": "MY=====", "pad-long": "MY=======", "pad-middle": "M=Y", "pad-only": "========",
    "pad-after-full": "MZXW6YTB========", "data-after-pad": "MY======MY",
    "space-in-pad": "MY=== ===",
    "nul-inside": b"MZ\x00W", "high-bytes": b"MZ\xc3\xa9W", "ff": b"\xff\xff",
    "all-alphabet": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
    "long": "MZXW6YTB" * 64,
}
write_corpus("fuzz_base32", b32)
write_dict("fuzz_base32", ["=", "======", " ", "A", "Q", "2", "7", "MY", "MZXW6YTB"])


# ---- Authorization, If-Match, Accept ----

def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def part(obj):
    return b64u(obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode())


def jwt(claims, header=None, key=KEY, digest=hashlib.sha256, sig=None):
    header = header if header is not None else {"alg": "HS256", "typ": "JWT"}
    signing = part(header) + "." + part(claims)
    if sig is None:
        sig = b64u(hmac.new(key, signing.encode(), digest).digest())
    return signing + "." + sig


def claims(**over):
    c = {"fresh": False, "iat": NOW - 10, "jti": "6f1c2d3e-4a5b-4c6d-8e7f-901234567890",
         "type": "access", "sub": "Hager666", "nbf": NOW - 10, "exp": NOW + 3590}
    c.update(over)
    return c


def drop(c, key):
    return {k: v for k, v in c.items() if k != key}


B64U = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
valid = jwt(claims())
# 43 characters carry 258 bits for 256: the last one's 2 low bits must be 0.
stray = valid[:-1] + B64U[B64U.index(valid[-1]) | 1]
flipped = valid[:-2] + ("A" if valid[-2] != "A" else "B") + valid[-1]
tokens = {
    "valid": valid,
    "valid-flask-order": jwt({"sub": "Hager666", "iat": NOW - 10, "nbf": NOW - 10,
                              "jti": "x", "type": "access", "fresh": False,
                              "exp": NOW + 3590}),
    "valid-no-nbf-no-iat": jwt(drop(drop(claims(), "nbf"), "iat")),
    "valid-sub-64": jwt(claims(sub="s" * 64)),
    "valid-sub-unicode": jwt(claims(sub="h\u00e4ger\U0001F600")),
    "valid-sub-escapes": jwt(claims(sub="a\"b\\c\nd")),
    "valid-header-extra": jwt(claims(), header={"typ": "JWT", "alg": "HS256", "kid": "1"}),
    "valid-exp-float": jwt(claims(exp=NOW + 0.5)),
    "sub-65": jwt(claims(sub="s" * 65)),
    "sub-empty": jwt(claims(sub="")),
    "sub-number": jwt(claims(sub=42)),
    "sub-missing": jwt(drop(claims(), "sub")),
    "sub-escaped-nul": jwt(b'{"sub":"Hager\\u0000666","type":"access","exp":%d}' % (NOW + 60)),
    "expired": jwt(claims(exp=NOW)),
    "expired-long-ago": jwt(claims(exp=0)),
    "exp-missing": jwt(drop(claims(), "exp")),
    "exp-string": jwt(claims(exp=str(NOW + 60))),
    "exp-huge": jwt(b'{"sub":"a","type":"access","exp":1e400}'),
    "nbf-future": jwt(claims(nbf=NOW + 1)),
    "nbf-string": jwt(claims(nbf="0")),
    "iat-string": jwt(claims(iat="0")),
    "type-refresh": jwt(claims(type="refresh")),
    "type-missing": jwt(drop(claims(), "type")),
    "type-number": jwt(claims(type=1)),
    "payload-array": jwt([1, 2]),
    "payload-not-json": jwt(b"not json"),
    "payload-trailing": jwt(b'{"sub":"a","type":"access","exp":9999999999} x'),
    "payload-duplicate-sub": jwt(b'{"sub":"a","sub":"b","type":"access","exp":9999999999}'),
    "payload-empty": jwt(b""),
    "alg-none": jwt(claims(), header={"alg": "none", "typ": "JWT"}, sig=""),
    "alg-none-with-sig": jwt(claims(), header={"alg": "none"}),
    "alg-None": jwt(claims(), header={"alg": "None"}, sig=""),
    "alg-hs256-lower": jwt(claims(), header={"alg": "hs256"}),
    "alg-hs384": jwt(claims(), header={"alg": "HS384"}, digest=hashlib.sha384),
    "alg-hs512": jwt(claims(), header={"alg": "HS512"}, digest=hashlib.sha512),
    "alg-rs256": jwt(claims(), header={"alg": "RS256"}, sig=b64u(b"\x01" * 256)),
    "alg-missing": jwt(claims(), header={"typ": "JWT"}),
    "alg-array": jwt(claims(), header={"alg": ["HS256"]}),
    "alg-nul": jwt(claims(), header=b'{"alg":"HS256\\u0000x"}'),
    "alg-duplicate": jwt(claims(), header=b'{"alg":"none","alg":"HS256"}'),
    "header-array": jwt(claims(), header=b'["HS256"]'),
    "header-not-json": jwt(claims(), header=b"HS256"),
    "header-hs512-sig-hs256": jwt(claims(), header={"alg": "HS512"}),
    "wrong-key": jwt(claims(), key=b"another-key-of-32-bytes-00000000"),
    "sig-flipped": flipped,
    "sig-stray-bits": stray,
    "sig-padded": valid + "=",
    "sig-short": valid[:-4],
    "sig-long": valid + "AAAA",
    "sig-empty": valid.rsplit(".", 1)[0] + ".",
    "two-parts": valid.rsplit(".", 1)[0],
    "four-parts": valid + ".x",
    "empty-header": "." + valid.split(".", 1)[1],
    "dots": "..",
    "bad-char": valid.replace(".", ".+", 1),
    "std-base64": valid.replace("-", "+").replace("_", "/"),
    "too-long": jwt(claims(pad="x" * 6200)),
}
auth = {}
for name, t in tokens.items():
    auth["bearer-" + name] = "Bearer " + t
auth["raw-valid"] = valid
auth["raw-alg-none"] = tokens["alg-none"]
auth.update({
    "bearer-lower": "bearer " + valid,
    "bearer-two-spaces": "Bearer  " + valid,
    "bearer-tab": "Bearer\t" + valid,
    "bearer-trailing-space": "Bearer " + valid + " ",
    "bearer-only": "Bearer ",
    "bearer-no-space": "Bearer",
    "bearer-extra-word": "Bearer " + valid + " extra",
    "basic": "Basic dXNlcjpwYXNzd29yZA==",
    "empty": "",
    "nul-after-token": ("Bearer " + valid).encode() + b"\x00junk",
    "if-match-star": "*",
    "if-match-quoted": '"5"',
    "if-match-weak": 'W/"5"',
    "if-match-spaces": '  "5"  ',
    "if-match-zero": '"0"',
    "if-match-leading-zero": '"05"',
    "if-match-max": '"9223372036854775807"',
    "if-match-over": '"9223372036854775808"',
    "if-match-bare": "5",
    "if-match-empty-quotes": '""',
    "if-match-list": '"1", "2"',
    "accept-json": "application/json",
    "accept-png": "image/png",
    "accept-any": "*/*",
    "accept-q": "application/json;q=0.9, image/png;q=0.8",
    "accept-q-png-wins": "image/png, application/json;q=0.5",
    "accept-wildcards": "application/*;q=1, image/*;q=0.5",
    "accept-specific-beats-range": "application/*;q=0.1, application/json;q=0.9",
    "accept-case": "APPLICATION/JSON; Q=1",
    "accept-bad-q": "application/json;q=abc, image/png;q=2",
    "accept-q-exp": "application/json;q=1e-1",
    "accept-params": "application/json; charset=utf-8; q=0.7",
    "accept-commas": " , ,, ;q=",
    "accept-html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
})
write_corpus("fuzz_auth_header", auth)
write_dict("fuzz_auth_header", [
    "Bearer ", ".", "eyJ", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    "eyJhbGciOiJub25lIn0", part(claims()), "In0", "fQ", "W/", '"', "*", ";q=", "application/json",
    "image/png", "*/*", "application/*", "image/*"])

# ---- GET /products query string (and ids) ----

query = {
    "empty": "",
    "limit": "limit=10", "limit-min": "limit=1", "limit-max": "limit=1000",
    "limit-over": "limit=1001", "limit-zero": "limit=0", "limit-leading-zero": "limit=01",
    "limit-negative": "limit=-1", "limit-plus": "limit=+5", "limit-word": "limit=abc",
    "limit-exp": "limit=1e3", "limit-empty": "limit=", "limit-no-value": "limit",
    "limit-encoded": "limit=%31%30", "limit-twice": "limit=5&limit=5",
    "limit-huge": "limit=18446744073709551617",
    "after": "after_id=5", "after-zero": "after_id=0", "after-zeros": "after_id=00",
    "after-max": "after_id=9223372036854775807", "after-over": "after_id=9223372036854775808",
    "after-twice": "after_id=1&after_id=2", "after-empty": "after_id=",
    "both": "limit=5&after_id=10", "both-reversed": "after_id=10&limit=5",
    "other-keys": "foo=bar&limit=3&x", "only-amps": "&&&", "only-eq": "=", "eq-eq": "limit==5",
    "semicolon": "limit=5;after_id=3", "case": "LIMIT=5", "space": "limit= 5",
    "nul-inside": b"limit=5\x00&limit=6", "trailing-amp": "limit=5&",
    "id-1": "1", "id-0": "0", "id-max": "9223372036854775807",
    "id-over": "9223372036854775808", "id-u64-over": "18446744073709551616",
    "id-20-digits": "10000000000000000000", "id-leading-zero": "012", "id-negative": "-1",
}
write_corpus("fuzz_products_query", query)
write_dict("fuzz_products_query", ["limit=", "after_id=", "&", "=", "0", "1000",
                                   "9223372036854775807"])
