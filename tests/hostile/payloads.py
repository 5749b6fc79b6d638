"""Hostile bodies shared by both dialects' suites: XML bombs, deep nesting, broken encodings."""

from __future__ import annotations

DEPTH = 100_000  # 10^5 levels

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]><request><name>&lol9;</name></request>"
)
QUADRATIC_BLOWUP = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "'
    + "a" * 20_000
    + '">]>'
    + "<request><name>"
    + "&a;" * 20_000
    + "</name></request>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<request><name>&x;</name></request>"
)
EXTERNAL_PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>'
    "<request><name>a</name></request>"
)
EXTERNAL_DTD = (
    '<?xml version="1.0"?><!DOCTYPE request SYSTEM "http://127.0.0.1:9/x.dtd">'
    "<request><name>a</name></request>"
)
INTERNAL_DTD = (
    '<?xml version="1.0"?><!DOCTYPE request [<!ELEMENT request ANY>]>'
    "<request><name>a</name></request>"
)
XINCLUDE = (
    '<request xmlns:xi="http://www.w3.org/2001/XInclude">'
    '<name><xi:include href="file:///etc/passwd" parse="text"/></name></request>'
)
MALFORMED_XML = "<request><name>Race</request>"
DEEP_XML = "<a>" * DEPTH + "</a>" * DEPTH
DEEP_JSON_ARRAYS = "[" * DEPTH + "]" * DEPTH
DEEP_JSON_OBJECTS = '{"a":' * DEPTH + "1" + "}" * DEPTH
MALFORMED_JSON = '{"name": "Race", "events": [}'
HUGE_INTEGER = "9" * 100_000
INVALID_UTF8 = b"\xff\xfe\xc3\x28\xa0\xa1\xed\xa0\x80"
SQL_INJECTION = "x'); DROP TABLE races; --"
HEADER_INJECTION = "a\r\nSet-Cookie: pwned=1\r\nX-Injected: 1"
