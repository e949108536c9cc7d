"""IAM-shaped policy statements, evaluated as AWS documents it. Pure: no I/O, no wslab import.

One evaluator for every policy the local stack decides on: the identity policies (and
permissions boundaries) of function roles, resource policies (a function's, which API Gateway
needs to invoke it; a bucket's), and the policies Lambda authorizers return.

The rules, each from AWS's "IAM JSON policy elements" reference
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html):

* ``Action``/``NotAction``: ``*`` and ``?`` wildcards, names case-insensitive
  (``..._elements_action.html``: "The prefix and the action name are case insensitive").
* ``Resource``/``NotResource``: ARNs case-sensitive; ``*`` and ``?`` work within a
  colon-separated segment, and a ``*`` that ends a segment may run past the colons
  (``..._elements_resource.html``, "Including wildcard characters in the resource ARN").
  Nothing else is a wildcard: ``[abc]`` is three characters and two brackets.
* ``Principal``/``NotPrincipal`` (resource policies only): ``"*"`` and ``{"AWS": "*"}`` are
  everyone; no partial wildcards; an account (``"123456789012"`` or its ``:root`` ARN) stands
  for the principals of that account (``..._elements_principal.html``).
* ``Condition``: operators AND, keys within an operator AND, values of one key OR (NOR for
  the negated operators); key names case-insensitive; a key absent from the request makes a
  condition false, and a negated one true, except ``...IfExists`` (true when absent) and
  ``Null`` (``..._elements_condition.html``, ``..._elements_condition_operators.html``,
  ``reference_policies_condition-logic-multiple-context-keys-or-values.html``).
  ``ForAnyValue:``/``ForAllValues:`` compare every value of a multivalued key; with no value,
  ``ForAllValues`` holds and ``ForAnyValue`` does not
  (``reference_policies_condition-single-vs-multi-valued-context-keys.html``).
* Decision: an applicable ``Deny`` wins; else an applicable ``Allow`` allows; else the request
  is implicitly denied (``reference_policies_evaluation-logic.html``). The decision says
  which, since AWS's messages differ ("with an explicit deny" or "because no ... policy
  allows").
"""

from __future__ import annotations

import enum
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final

__all__ = [
    "Condition",
    "Context",
    "ContextValue",
    "Decision",
    "Effect",
    "MalformedPolicy",
    "Principal",
    "Request",
    "Statement",
    "action_matches",
    "evaluate",
    "parse_statement",
    "parse_statements",
    "resource_matches",
]

ContextValue = str | bool | int | float | Sequence[str]
"""A request context value: one value, or the values of a multivalued key."""

Context = Mapping[str, ContextValue]
"""Request context keys (``aws:SourceArn``, ...; any case) and their values."""


class MalformedPolicy(ValueError):
    """A policy or statement that does not follow IAM's policy grammar."""


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


class Decision(enum.Enum):
    """The outcome of evaluating a request against a set of statements."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOW


@dataclass(frozen=True)
class Principal:
    """Who makes a request to a resource: ``Principal("Service", "apigateway.amazonaws.com")``
    or ``Principal("AWS", "arn:aws:sts::123456789012:assumed-role/r/s")``."""

    kind: str
    name: str

    @property
    def account_id(self) -> str | None:
        if self.kind != "AWS":
            return None
        if _ACCOUNT.fullmatch(self.name):
            return self.name
        parts = self.name.split(":")
        return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


@dataclass(frozen=True)
class Request:
    """What is asked.

    ``resource`` None: the policy is attached to the resource and its ``Resource`` element is
    not evaluated. ``principal`` None: an identity policy, whose principal is its holder, so
    ``Principal`` is not evaluated.
    """

    action: str
    resource: str | None = None
    principal: Principal | None = None
    context: Context = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    """One key under one operator: ``{"ArnLike": {"aws:SourceArn": [...]}}``."""

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    """A parsed statement; ``resources`` None when it names none (a trust policy's)."""

    effect: Effect
    actions: tuple[str, ...]
    not_action: bool = False
    resources: tuple[str, ...] | None = None
    not_resource: bool = False
    principals: tuple[tuple[str, str], ...] | None = None
    not_principal: bool = False
    conditions: tuple[Condition, ...] = ()


# --- parsing ----------------------------------------------------------------------------

_ACCOUNT: Final = re.compile(r"\d{12}")


def _strings(value: object, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise MalformedPolicy(f"{element} must be a string or a list of strings")


def _one_of(raw: Mapping[str, object], names: tuple[str, str]) -> tuple[str, object] | None:
    present = [name for name in names if name in raw]
    if len(present) > 1:
        raise MalformedPolicy(f"a statement has either {names[0]} or {names[1]}, not both")
    return (present[0], raw[present[0]]) if present else None


def _principals(value: object) -> tuple[tuple[str, str], ...]:
    if value == "*":
        return (("AWS", "*"),)
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy('Principal must be "*" or a map of principal types')
    return tuple(
        (str(kind), name) for kind, names in value.items() for name in _strings(names, "Principal")
    )


def _condition_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedPolicy("a condition value must be a string, number or boolean")


def _conditions(value: object) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise MalformedPolicy("Condition must be a map of operators")
    conditions: list[Condition] = []
    for operator, entries in value.items():
        if not isinstance(entries, dict):
            raise MalformedPolicy(f"Condition {operator} must be a map of keys")
        for key, expected in entries.items():
            values = expected if isinstance(expected, list) else [expected]
            conditions.append(
                Condition(str(operator), str(key), tuple(_condition_value(v) for v in values))
            )
    return tuple(conditions)


def parse_statement(raw: object) -> Statement:
    """A statement from its JSON form; :class:`MalformedPolicy` if it breaks the grammar."""
    if not isinstance(raw, Mapping):
        raise MalformedPolicy("a statement must be an object")
    try:
        effect = Effect(raw.get("Effect"))
    except ValueError:
        raise MalformedPolicy("Effect must be Allow or Deny") from None
    action = _one_of(raw, ("Action", "NotAction"))
    if action is None:
        raise MalformedPolicy("a statement needs Action or NotAction")
    resource = _one_of(raw, ("Resource", "NotResource"))
    principal = _one_of(raw, ("Principal", "NotPrincipal"))
    return Statement(
        effect=effect,
        actions=_strings(action[1], action[0]),
        not_action=action[0] == "NotAction",
        resources=None if resource is None else _strings(resource[1], resource[0]),
        not_resource=resource is not None and resource[0] == "NotResource",
        principals=None if principal is None else _principals(principal[1]),
        not_principal=principal is not None and principal[0] == "NotPrincipal",
        conditions=_conditions(raw["Condition"]) if "Condition" in raw else (),
    )


def parse_statements(document: object) -> tuple[Statement, ...]:
    """The statements of a policy document: JSON text or bytes, or its parsed form; its
    ``Statement`` one statement or a list."""
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except ValueError:
            raise MalformedPolicy("the policy is not JSON") from None
    if not isinstance(document, Mapping):
        raise MalformedPolicy("a policy must be an object")
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        raise MalformedPolicy("a policy needs a Statement")
    return tuple(parse_statement(statement) for statement in statements)


# --- matching ---------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, fold_case: bool) -> re.Pattern[str]:
    # "*" any run of characters, "?" one character; nothing else is special.
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(body, re.DOTALL | (re.IGNORECASE if fold_case else 0))


@lru_cache(maxsize=4096)
def _resource_pattern(pattern: str) -> re.Pattern[str]:
    # Wildcards stay within their colon-separated segment, except a "*" ending a segment.
    parts: list[str] = []
    for index, char in enumerate(pattern):
        if char == "*":
            ends_segment = index + 1 == len(pattern) or pattern[index + 1] == ":"
            parts.append(".*" if ends_segment else "[^:]*")
        elif char == "?":
            parts.append("[^:]")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an ``Action`` pattern names ``action`` (case-insensitive)."""
    return _wildcard(pattern, True).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    """Whether a ``Resource`` pattern covers ``arn`` (case-sensitive)."""
    return _resource_pattern(pattern).fullmatch(arn) is not None


def _principal_matches(kind: str, name: str, principal: Principal) -> bool:
    if kind == "AWS" and name == "*":
        return True  # "everyone", whatever kind of principal
    if kind != principal.kind:
        return False
    if name == principal.name:
        return True
    account = name if _ACCOUNT.fullmatch(name) else None
    if kind == "AWS" and account is None and name.endswith(":root"):
        account = name.split(":")[4] if name.count(":") == 5 else None
    return account is not None and account == principal.account_id


# --- conditions -------------------------------------------------------------------------


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    number = _number(text)
    if number is not None:
        return datetime.fromtimestamp(number, UTC)  # epoch seconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare_numbers(test: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def compare(actual: str, expected: str) -> bool:
        a, b = _number(actual), _number(expected)
        return a is not None and b is not None and test(a, b)

    return compare


def _compare_dates(test: Callable[[datetime, datetime], bool]) -> Callable[[str, str], bool]:
    def compare(actual: str, expected: str) -> bool:
        a, b = _date(actual), _date(expected)
        return a is not None and b is not None and test(a, b)

    return compare


@lru_cache(maxsize=4096)
def _arn_condition_pattern(expected: str) -> re.Pattern[str] | None:
    # ArnEquals and ArnLike alike: each of the six colon-separated components is matched on
    # its own, with "*" and "?" (condition operators page, "Amazon Resource Name (ARN)").
    # The sixth runs to the end, colons included.
    parts = expected.split(":", 5)
    if len(parts) != 6:
        return None
    within = [
        "".join("[^:]*" if c == "*" else "[^:]" if c == "?" else re.escape(c) for c in part)
        for part in parts[:5]
    ]
    return re.compile(":".join([*within, _wildcard(parts[5], False).pattern]), re.DOTALL)


def _arn_like(actual: str, expected: str) -> bool:
    pattern = _arn_condition_pattern(expected)
    return pattern is not None and pattern.fullmatch(actual) is not None


def _in_network(actual: str, expected: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


_Match = Callable[[str, str], bool]

# Operator -> (how one request value matches one policy value, whether the operator negates).
_OPERATORS: Final[dict[str, tuple[_Match, bool]]] = {
    "StringEquals": (str.__eq__, False),
    "StringNotEquals": (str.__eq__, True),
    "StringEqualsIgnoreCase": (lambda a, b: a.casefold() == b.casefold(), False),
    "StringNotEqualsIgnoreCase": (lambda a, b: a.casefold() == b.casefold(), True),
    "StringLike": (lambda a, b: _wildcard(b, False).fullmatch(a) is not None, False),
    "StringNotLike": (lambda a, b: _wildcard(b, False).fullmatch(a) is not None, True),
    "NumericEquals": (_compare_numbers(float.__eq__), False),
    "NumericNotEquals": (_compare_numbers(float.__eq__), True),
    "NumericLessThan": (_compare_numbers(float.__lt__), False),
    "NumericLessThanEquals": (_compare_numbers(float.__le__), False),
    "NumericGreaterThan": (_compare_numbers(float.__gt__), False),
    "NumericGreaterThanEquals": (_compare_numbers(float.__ge__), False),
    "DateEquals": (_compare_dates(datetime.__eq__), False),
    "DateNotEquals": (_compare_dates(datetime.__eq__), True),
    "DateLessThan": (_compare_dates(datetime.__lt__), False),
    "DateLessThanEquals": (_compare_dates(datetime.__le__), False),
    "DateGreaterThan": (_compare_dates(datetime.__gt__), False),
    "DateGreaterThanEquals": (_compare_dates(datetime.__ge__), False),
    "Bool": (lambda a, b: a.lower() == b.lower(), False),
    "BinaryEquals": (str.__eq__, False),
    "IpAddress": (_in_network, False),
    "NotIpAddress": (_in_network, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
}
_SET_OPERATORS: Final = ("ForAnyValue", "ForAllValues")


def _context_values(value: ContextValue) -> tuple[str, ...]:
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, str | int | float):
        return (str(value),)
    return tuple(str(item) for item in value)


def _normalized(context: Context) -> dict[str, tuple[str, ...]]:
    # Context key names are not case-sensitive (Condition element page).
    return {key.lower(): _context_values(value) for key, value in context.items()}


def _condition_holds(condition: Condition, context: Mapping[str, tuple[str, ...]]) -> bool:
    qualifier, _, operator = condition.operator.rpartition(":")
    actual = context.get(condition.key.lower()) or ()
    if operator == "Null":
        # "true": the key must be absent; "false": present (Null check operator).
        return any((not actual) == (value.lower() == "true") for value in condition.values)
    if_exists = operator.endswith("IfExists")
    known = _OPERATORS.get(operator.removesuffix("IfExists"))
    if known is None or (qualifier and qualifier not in _SET_OPERATORS):
        # IAM refuses to store a policy with an operator outside its grammar
        # (reference_policies_grammar.html lists them); one that still reaches evaluation
        # (an authorizer's answer) makes its statement not apply. [UNCONFIRMED]
        return False
    match, negated = known
    if not actual:
        if if_exists or qualifier == "ForAllValues":
            return True
        return negated and qualifier != "ForAnyValue"

    def one(value: str) -> bool:
        hit = any(match(value, expected) for expected in condition.values)
        return hit != negated

    if qualifier == "ForAllValues":
        return all(one(value) for value in actual)
    if qualifier == "ForAnyValue":
        return any(one(value) for value in actual)
    # A single-valued operator given several values: any of them matching counts as a
    # match. [UNCONFIRMED] AWS leaves this case to the set operators.
    hit = any(match(value, expected) for value in actual for expected in condition.values)
    return hit != negated


# --- evaluation -------------------------------------------------------------------------


def _applies(
    statement: Statement, request: Request, context: Mapping[str, tuple[str, ...]]
) -> bool:
    named = any(action_matches(pattern, request.action) for pattern in statement.actions)
    if named == statement.not_action:
        return False
    if request.resource is not None and statement.resources is not None:
        covered = any(resource_matches(p, request.resource) for p in statement.resources)
        if covered == statement.not_resource:
            return False
    if request.principal is not None and statement.principals is not None:
        principal = request.principal
        listed = any(_principal_matches(k, n, principal) for k, n in statement.principals)
        if listed == statement.not_principal:
            return False
    return all(_condition_holds(condition, context) for condition in statement.conditions)


def evaluate(statements: Iterable[Statement], request: Request) -> Decision:
    """AWS's decision on ``request`` under ``statements`` (of one or more policies)."""
    context = _normalized(request.context)
    allowed = False
    for statement in statements:
        if _applies(statement, request, context):
            if statement.effect is Effect.DENY:
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
