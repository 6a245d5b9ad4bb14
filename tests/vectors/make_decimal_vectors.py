"""Known-answer vectors for the numbers of hookmap's expressions, computed with Python's decimal and
fractions modules (independent of rust_decimal, whose results they check).

Run: python3 tests/vectors/make_decimal_vectors.py > tests/vectors/decimals.json
The random cases come from a fixed seed, so the output is the same on every run (diff it to check
the committed file). crates/hookmap-core/tests/decimal_vectors.rs evaluates each expression over an
empty payload and compares: a result as a number (by value: "1.50" is 1.5), an error by its code.

The rule the vectors hold the evaluator to, stated here on its own terms:
- A number is m / 10^s with |m| < 2^96 and 0 <= s <= 28.
- decimal(text) reads a text written as JSON writes numbers (-?int[.digits][e[+-]digits]) exactly;
  a value that needs more than 28 places or a mantissa of 2^96 or more is refused, as is any other
  text (wrong_type). A literal out of that range does not parse (invalid_expression).
- + - * / and % take the exact result (% truncated: the sign of the dividend) and round it half to
  even at the largest scale s <= 28 whose mantissa still fits under 2^96; when not even s = 0 fits,
  the operation fails (expression_failed), as does a division by zero.
- floor, ceil, round (half away from zero) and round_even round to 0..28 places.
- == and < compare exact values; min, max and sum take numbers or one list (sum adds left to right,
  each step under the rule above; min and max of nothing fail).
"""
import json
import random
import re
from decimal import (ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal,
                     localcontext)
from fractions import Fraction

SEED = 2026_12_26
MAX_SCALE = 28
LIMIT = 2**96  # every mantissa is below it
JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")

rng = random.Random(SEED)
vectors = []


def half_even(x: Fraction) -> int:
    """x (>= 0) rounded to an integer, ties to even."""
    whole, rest = divmod(x.numerator, x.denominator)
    twice = 2 * rest
    if twice > x.denominator or (twice == x.denominator and whole % 2 == 1):
        whole += 1
    return whole


def fit(q: Fraction):
    """The exact value q as the type holds it: rounded half to even at the largest scale <= 28
    whose mantissa fits; None when none does."""
    sign, size = (-1 if q < 0 else 1), abs(q)
    for scale in range(MAX_SCALE, -1, -1):
        m = half_even(size * 10**scale)
        if m < LIMIT:
            return sign * Fraction(m, 10**scale)
    return None


def show(q: Fraction) -> str:
    """A value of the type as plain decimal text with no trailing zeros."""
    with localcontext() as ctx:
        ctx.prec = 200
        text = format((Decimal(q.numerator) / Decimal(q.denominator)).normalize(), "f")
    return "0" if text == "-0" else text


def read(text: str):
    """decimal(text) under the rule above: its value, or None when refused."""
    if not JSON_NUMBER.match(text):
        return None
    d = Decimal(text)
    with localcontext() as ctx:
        ctx.prec = 200  # normalize() rounds to the context's precision (28 by default)
        sign, digits, exponent = d.normalize().as_tuple()
    mantissa = int("".join(map(str, digits))) if digits else 0
    if mantissa == 0:
        return Fraction(0)
    if exponent < -MAX_SCALE:
        return None
    if mantissa * 10 ** max(exponent, 0) >= LIMIT:
        return None
    return Fraction(d)


def text_of(m: int, scale: int) -> str:
    """m / 10^scale written with exactly `scale` places."""
    digits = str(abs(m)).rjust(scale + 1, "0")
    body = digits if scale == 0 else digits[:-scale] + "." + digits[-scale:]
    return ("-" if m < 0 else "") + body


def number(rng_max_digits=12, max_scale=10, negative=0.3):
    """A random number of the type: (value, text)."""
    digits = rng.randint(1, rng_max_digits)
    m = rng.randrange(1, 10**digits)
    scale = rng.randint(0, min(max_scale, MAX_SCALE))
    if rng.random() < negative:
        m = -m
    text = text_of(m, scale)
    return Fraction(text), text


def lit(text: str) -> str:
    """An operand as the expression writes it: a literal (negatives in parentheses) or decimal()."""
    if rng.random() < 0.5:
        return f'decimal("{text}")'
    return f"({text})" if text.startswith("-") else text


def result(expr: str, value):
    if value is None:
        vectors.append({"expr": expr, "error": "expression_failed"})
    else:
        vectors.append({"expr": expr, "result": show(value)})


def error(expr: str, kind: str):
    vectors.append({"expr": expr, "error": kind})


def truth(expr: str, holds: bool):
    """A comparison, made a number so that every vector's result is one."""
    vectors.append({"expr": f"({expr}) ? 1 : 0", "result": "1" if holds else "0"})


# -- Reading decimal strings -------------------------------------------------------------------
TEXTS = [
    "24.99", "-3", "0", "-0", "0.0", "10.00", "1e3", "1E3", "1e+3", "1.5E-2", "1.5e-2", "2499e-2",
    "0.1", "0.29", "19.99", "1e0", "1e-0", "123456789012345678901234567.8",
    "0.1234567890123456789012345678",  # 28 places
    "0.12345678901234567890123456789",  # 29 places
    "0.0000000000000000000000000001",  # 1e-28
    "0.00000000000000000000000000001",  # 1e-29
    "0.00000000000000000000000000010",  # 1e-28 written with 29 places
    "1.0000000000000000000000000000",
    "1.00000000000000000000000000000000",  # trailing zeros past 28 places: still 1
    "1e-28", "1e-29", "10e-29", "1.5e-28", "100e-30", "1e28", "1e29", "7.9e28", "8e28",
    "79228162514264337593543950335", "79228162514264337593543950336", "-79228162514264337593543950335",
    "-79228162514264337593543950336", "7922816251426433759354395033.5", "7.9228162514264337593543950335",
    "9007199254740993", "18446744073709551616", "1e9999", "0.0e-50",
    "", " 5", "5 ", "+5", "5.", ".5", "05", "007", "0x10", "NaN", "Infinity", "1e", "1e+", "1.2.3",
    "--1", "1,5", "1_000", "١٢", "½", "24.99 USD", "$24.99", "1e1.5", "-", "-.5", "0.", "e5",
]
for text in TEXTS:
    value = read(text)
    expr = f'decimal("{text}")'
    if value is None:
        error(expr, "wrong_type")
    else:
        result(expr, value)
# Literals read the same texts; one out of range does not parse.
for text in ["24.99", "1e3", "1.5E-2", "0.1234567890123456789012345678", "79228162514264337593543950335",
             "1e28", "100e-30", "9007199254740993"]:
    result(text, read(text))
for text in ["79228162514264337593543950336", "0.12345678901234567890123456789", "1e29", "1e-29"]:
    error(text, "invalid_expression")
# Random texts: plain, with exponents, with many places.
for _ in range(40):
    digits = rng.randint(1, 30)
    m = rng.randrange(0, 10**digits)
    scale = rng.randint(0, 32)
    text = text_of(m if rng.random() < 0.7 else -m, scale)
    if rng.random() < 0.4:
        text += rng.choice(["e", "E"]) + rng.choice(["", "+", "-"]) + str(rng.randint(0, 30))
    value = read(text)
    if value is None:
        error(f'decimal("{text}")', "wrong_type")
    else:
        result(f'decimal("{text}")', value)

# -- + - * ------------------------------------------------------------------------------------
for a, b in [("0.1", "0.2"), ("24.99", "100"), ("19.99", "100"), ("0.29", "100"), ("1.10", "2.205")]:
    for op in "+-*":
        x, y = Fraction(a), Fraction(b)
        result(f'decimal("{a}") {op} decimal("{b}")',
               fit({"+": x + y, "-": x - y, "*": x * y}[op]))
for _ in range(90):
    op = rng.choice("+-*")
    (x, a), (y, b) = number(), number()
    result(f"{lit(a)} {op} {lit(b)}", fit({"+": x + y, "-": x - y, "*": x * y}[op]))
# Chains, in CEL's precedence (* before + and -, left to right).
for _ in range(20):
    (x, a), (y, b), (z, c) = number(8, 6), number(8, 6), number(8, 6)
    ops = rng.choice(["+*", "*+", "-*", "*-", "+-", "--"])
    if ops[0] == "*":
        value = fit(fit(x * y) + (z if ops[1] == "+" else -z))
    elif ops[1] == "*":
        value = fit(x + (1 if ops[0] == "+" else -1) * fit(y * z))
    else:
        value = fit(fit(x + y if ops[0] == "+" else x - y) + (z if ops[1] == "+" else -z))
    result(f"{lit(a)} {ops[0]} {lit(b)} {ops[1]} {lit(c)}", value)
# Results past the 28 places: rounded half to even at the type's precision, as division is.
for a, b in [("0.00000000000001", "0.00000000000001"), ("0.00000000000001", "0.00000000000005"),
             ("0.00000000000001", "0.00000000000015"), ("0.00000000000001", "0.000000000000025"),
             ("0.1234567890123456789012345678", "0.5"), ("1.0000000000000000000000000001", "1.0000000000000000000000000001")]:
    result(f'decimal("{a}") * decimal("{b}")', fit(Fraction(a) * Fraction(b)))
for a, b in [("10000000000000000000000000000", "0.0000000000000000000000000001"),
             ("1", "0.0000000000000000000000000001"), ("79228162514264337593543950334", "0.5"),
             ("79228162514264337593543950334", "0.4"), ("7922816251426433759354395033", "0.55")]:
    result(f'decimal("{a}") + decimal("{b}")', fit(Fraction(a) + Fraction(b)))

# -- Division ---------------------------------------------------------------------------------
for a, b in [("2499", "100"), ("7", "2"), ("1", "3"), ("2", "3"), ("10", "3"), ("-2", "3"), ("1", "7"),
             ("1", "8"), ("24.99", "0.01"), ("1", "0.0000000000000000000000000001"), ("100", "7"),
             ("79228162514264337593543950335", "10"), ("79228162514264337593543950335", "3"),
             ("79228162514264337593543950335", "0.1"), ("79228162514264337593543950335", "0.5"),
             ("0.0000000000000000000000000001", "2"), ("0.0000000000000000000000000003", "2"),
             ("0.0000000000000000000000000001", "3"), ("1", "536870912"), ("3", "536870912"),
             ("1", "79228162514264337593543950335"), ("5", "0.0000000000000000000000000009"),
             ("0", "5"), ("-0", "7")]:
    result(f'decimal("{a}") / decimal("{b}")', fit(Fraction(a) / Fraction(b)))
# Exact quotients (divisors of 2s and 5s) and non-terminating ones.
for _ in range(40):
    x, a = number(10, 6)
    d = rng.choice([2, 4, 5, 8, 10, 16, 20, 25, 40, 64, 100, 125, 1000, 1024, 3125])
    scale = rng.randint(0, 4)
    b = text_of(d if rng.random() < 0.8 else -d, scale)
    result(f"{lit(a)} / {lit(b)}", fit(x / Fraction(b)))
for _ in range(40):
    (x, a), (y, b) = number(14, 8), number(6, 4)
    result(f"{lit(a)} / {lit(b)}", fit(x / y))
for _ in range(15):
    (x, a), (y, b) = number(28, 28), number(28, 28)
    result(f'decimal("{a}") / decimal("{b}")', fit(x / y))
error("1 / 0", "expression_failed")
error('decimal("24.99") / decimal("0.00")', "expression_failed")
truth("1 / 3 * 3 == 1", fit(fit(Fraction(1, 3)) * 3) == 1)
truth("2499 / 100 == 24.99", True)

# -- % (truncated: the sign of the dividend) ----------------------------------------------------
def rem(x: Fraction, y: Fraction) -> Fraction:
    q = x / y
    whole = q.numerator // q.denominator if q >= 0 else -((-q.numerator) // q.denominator)
    return x - y * whole


for a, b in [("7", "2"), ("-7", "2"), ("7", "-2"), ("-7", "-2"), ("7.5", "2"), ("24.99", "1"),
             ("10", "0.3"), ("79228162514264337593543950335", "0.0000000000000000000000000007"),
             ("0.0000000000000000000000000007", "79228162514264337593543950335")]:
    result(f'decimal("{a}") % decimal("{b}")', fit(rem(Fraction(a), Fraction(b))))
for _ in range(25):
    (x, a), (y, b) = number(12, 6), number(6, 4)
    result(f"{lit(a)} % {lit(b)}", fit(rem(x, y)))
error("5 % 0", "expression_failed")

# -- Rounding ---------------------------------------------------------------------------------
HOW = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "round": ROUND_HALF_UP, "round_even": ROUND_HALF_EVEN}


def rounded(text: str, how: str, places: int) -> Fraction:
    with localcontext() as ctx:
        ctx.prec = 200
        return Fraction(Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=HOW[how]))


for text in ["2.5", "-2.5", "3.5", "-3.5", "2.4", "-2.6", "0.5", "-0.5", "249.9", "24.99", "0",
             "1.005", "2.675", "-1.005", "7922816251426433759354395033.5", "0.0000000000000000000000000005"]:
    for how in HOW:
        result(f'{how}(decimal("{text}"))', rounded(text, how, 0))
    for places in [1, 2]:
        for how in HOW:
            result(f'{how}(decimal("{text}"), {places})', rounded(text, how, places))
for _ in range(40):
    _, a = number(12, 8)
    how = rng.choice(list(HOW))
    if rng.random() < 0.3:
        result(f'{how}(decimal("{a}"))', rounded(a, how, 0))
    else:
        places = rng.randint(0, 9)
        result(f'{how}(decimal("{a}"), {places})', rounded(a, how, places))
result('round(decimal("0.1234567890123456789012345678"), 28)', Fraction("0.1234567890123456789012345678"))
result('round(decimal("0.1234567890123456789012345678"), 27)',
       rounded("0.1234567890123456789012345678", "round", 27))
result('round(decimal("24.99") * 10)', rounded("249.9", "round", 0))
result("floor(2499 / 100)", Fraction(24))
for bad in ["29", "-1", "1.5", '"2"']:
    error(f'round(decimal("2.5"), {bad})', "wrong_type")

# -- Comparisons ------------------------------------------------------------------------------
truth("0.1 + 0.2 == 0.3", True)
truth('decimal("0.1") + decimal("0.2") == decimal("0.3")', True)
truth("1 == 1.0", True)
truth('decimal("1.50") == 1.5', True)
truth('decimal("1e2") == 100', True)
truth("decimal(\"-0\") == 0", True)
truth("9007199254740993 == 9007199254740992", False)
truth("18446744073709551616 > 18446744073709551615", True)
truth("0.0000000000000000000000000001 > 0", True)
truth("-0.0000000000000000000000000001 < 0", True)
truth("1.1 > 1.10", False)
truth("1.1 >= 1.10", True)
for _ in range(40):
    (x, a), (y, b) = number(6, 4), number(6, 4)
    if rng.random() < 0.25:
        y, b = x, text_of(int(x * 10**4), 4)  # equal, written with other places
    op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
    holds = {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
    truth(f"{lit(a)} {op} {lit(b)}", holds)

# -- min, max, sum ----------------------------------------------------------------------------
for _ in range(30):
    items = [number(8, 5) for _ in range(rng.randint(1, 6))]
    values = [v for v, _ in items]
    written = ", ".join(lit(t) for _, t in items)
    fn = rng.choice(["min", "max", "sum"])
    if fn == "sum":
        total = Fraction(0)
        for v in values:
            total = fit(total + v)
        result(f"sum([{written}])", total)
    elif rng.random() < 0.5:
        result(f"{fn}({written})", (min if fn == "min" else max)(values))
    else:
        result(f"{fn}([{written}])", (min if fn == "min" else max)(values))
result("sum([0.1, 0.2, 0.3])", Fraction("0.6"))
result("sum([])", Fraction(0))
result("[0.1, 0.2, 0.3].sum()", Fraction("0.6"))
result('min(decimal("0.10"), 0.1, 0.2)', Fraction("0.1"))
result("max(-1, -0.5, -2)", Fraction("-0.5"))
error("min([])", "expression_failed")
error("max([])", "expression_failed")
error("sum([79228162514264337593543950335, 1])", "expression_failed")
result("sum([79228162514264337593543950335, -1, 1])", Fraction(79228162514264337593543950335))
error("sum(5)", "wrong_type")
error('min(1, "2")', "wrong_type")

# -- Integers past 2^53 and 2^64 ---------------------------------------------------------------
BIG = [2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**64 + 1, 2**80 + 7, 10**27 + 1]
for _ in range(30):
    a, b = rng.choice(BIG), rng.choice(BIG + [1, 2, 3, 10, 1000])
    op = rng.choice("+-*")
    if rng.random() < 0.3:
        a = -a
    exact = {"+": a + b, "-": a - b, "*": a * b}[op]
    result(f"{lit(str(a))} {op} {lit(str(b))}", fit(Fraction(exact)))
result("9007199254740993 + 2", Fraction(9007199254740995))
result("18446744073709551615 + 1", Fraction(2**64))
result("18446744073709551616 * 4294967296", fit(Fraction(2**96)))  # 2^96: does not fit
result("4294967296 * 4294967296 * 4294967295", Fraction(2**64 * (2**32 - 1)))

# -- Overflow ---------------------------------------------------------------------------------
MAX = "79228162514264337593543950335"
M = Fraction(MAX)
for expr, exact in [(f"{MAX} + 1", M + 1), (f"{MAX} * 2", M * 2), (f"-{MAX} - 1", -M - 1),
                    (f"{MAX} / 0.1", M * 10), (f"{MAX} / 0.5", M * 2),
                    ("18446744073709551616 * 18446744073709551616", Fraction(2**128)),
                    (f"{MAX} + 0.5", M + Fraction(1, 2)), (f"{MAX} * 1.0000000001", M * Fraction("1.0000000001")),
                    ("10000000000000000000000000000 * 10", Fraction(10**29)), (f"-{MAX} * {MAX}", -M * M),
                    ("1 / 0.0000000000000000000000000001 * 100", Fraction(10**30))]:
    result(expr, fit(exact))  # none of these fits: each is expression_failed
result(f"{MAX} + 0.4", fit(Fraction(MAX) + Fraction(2, 5)))
result(f"{MAX} - 1 + 1", Fraction(MAX))
result(f"-{MAX}", Fraction("-" + MAX))

# -- The issue's own examples -----------------------------------------------------------------
result('decimal("24.99") * 100', Fraction(2499))
result("2499 / 100", Fraction("24.99"))
result('round(decimal("24.99") * 10)', Fraction(250))
result("floor(2499 / 100)", Fraction(24))
result('decimal("19.99") * 100', Fraction(1999))
result('decimal("0.29") * 100', Fraction(29))

print("{")
print(f' "about": {json.dumps(__doc__.strip().splitlines()[0])},')
print(f' "seed": {SEED},')
print(' "vectors": [')
print(",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in vectors))
print(" ]")
print("}")
