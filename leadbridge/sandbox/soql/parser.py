"""Recursive-descent parser for the SOQL subset the sandbox org serves.

Grammar (keywords, object and field names are case-insensitive)::

    query     := SELECT fields FROM name [alias] [WHERE cond] [ORDER BY order {, order}]
                 [LIMIT int] [OFFSET int]
    fields    := COUNT() | item {, item}          item := path | COUNT(path)
    cond      := term {AND term} | term {OR term}  (mixing AND and OR needs parentheses)
    term      := NOT term | '(' cond ')' | predicate
    predicate := path op value | path LIKE value | path [NOT] IN '(' values | query ')'
    order     := path [ASC|DESC] [NULLS FIRST|NULLS LAST]
"""

from __future__ import annotations

from typing import cast

from leadbridge.sandbox.exceptions import SalesforceError
from leadbridge.sandbox.soql import dates
from leadbridge.sandbox.soql.ast import (
    And,
    BoolLit,
    Comparison,
    ComparisonOp,
    Condition,
    CountOf,
    DateKeyword,
    FieldPath,
    InList,
    Not,
    NullLit,
    NumberLit,
    Or,
    OrderItem,
    Query,
    SelectItem,
    SemiJoin,
    Value,
)
from leadbridge.sandbox.soql.errors import unexpected_token
from leadbridge.sandbox.soql.lexer import Kind, Token, tokenize

MAX_STATEMENT = 100_000
MAX_OFFSET = 2000
# Words that end the FROM clause, so they cannot be an object alias.
_CLAUSE_WORDS = frozenset(
    {"WHERE", "ORDER", "LIMIT", "OFFSET", "GROUP", "HAVING", "WITH", "USING", "FOR", "UPDATE"}
)


def parse(source: str) -> Query:
    """Parse a complete SOQL statement; raises SalesforceError (MALFORMED_QUERY etc.)."""
    if len(source) > MAX_STATEMENT:
        raise SalesforceError(
            "MALFORMED_QUERY",
            f"SOQL statements cannot be longer than {MAX_STATEMENT:,} characters.",
        )
    parser = _Parser(source)
    query = parser.query()
    parser.expect_end()
    return query


def parse_condition(source: str) -> Condition:
    """Parse a bare WHERE expression such as `Status = 'Qualified' AND Phone = null`."""
    parser = _Parser(source)
    condition = parser.condition()
    parser.expect_end()
    return condition


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0

    # -- token helpers -------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not Kind.EOF:
            self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.current
        return token.kind is Kind.IDENT and token.upper in words

    def at_punct(self, char: str) -> bool:
        token = self.current
        return token.kind is Kind.PUNCT and token.text == char

    def fail(self) -> SalesforceError:
        """MALFORMED_QUERY pointing at the current token."""
        token = self.current
        return unexpected_token(self.source, token.pos, token.text)

    def expect_keyword(self, word: str) -> Token:
        if not self.at_keyword(word):
            raise self.fail()
        return self.advance()

    def expect_punct(self, char: str) -> Token:
        if not self.at_punct(char):
            raise self.fail()
        return self.advance()

    def expect_ident(self) -> Token:
        if self.current.kind is not Kind.IDENT:
            raise self.fail()
        return self.advance()

    def expect_end(self) -> None:
        if self.current.kind is not Kind.EOF:
            raise self.fail()

    # -- statement -----------------------------------------------------------------------

    def query(self) -> Query:
        self.expect_keyword("SELECT")
        fields, count_all = self.select_list()
        self.expect_keyword("FROM")
        object_token = self.expect_ident()
        alias = None
        if self.current.kind is Kind.IDENT and self.current.upper not in _CLAUSE_WORDS:
            alias = self.advance().text
        where = None
        if self.at_keyword("WHERE"):
            self.advance()
            where = self.condition()
        order_by = self.order_by()
        limit = self.integer_clause("LIMIT")
        offset = self.integer_clause("OFFSET")
        if offset is not None and offset > MAX_OFFSET:
            raise SalesforceError(
                "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            )
        return Query(
            fields=fields,
            count_all=count_all,
            object_name=object_token.text,
            object_pos=object_token.pos,
            alias=alias,
            where=where,
            order_by=order_by,
            limit=limit,
            offset=offset,
            source=self.source,
        )

    def select_list(self) -> tuple[tuple[SelectItem, ...], bool]:
        if self.at_count() and self.tokens[self.index + 2].text == ")":
            self.index += 3  # COUNT ( )
            return (), True
        items = [self.select_item()]
        while self.at_punct(","):
            self.advance()
            items.append(self.select_item())
        return tuple(items), False

    def at_count(self) -> bool:
        """At `COUNT(`: a count, not a field that happens to be called Count."""
        if not self.at_keyword("COUNT"):
            return False
        following = self.tokens[self.index + 1]
        return following.kind is Kind.PUNCT and following.text == "("

    def select_item(self) -> SelectItem:
        if not self.at_count():
            return self.path()
        pos = self.advance().pos
        self.expect_punct("(")
        path = self.path()
        self.expect_punct(")")
        return CountOf(path, pos)

    def path(self) -> FieldPath:
        first = self.expect_ident()
        parts = [first.text]
        while self.at_punct("."):
            self.advance()
            parts.append(self.expect_ident().text)
        return FieldPath(tuple(parts), first.pos)

    def order_by(self) -> tuple[OrderItem, ...]:
        if not self.at_keyword("ORDER"):
            return ()
        self.advance()
        self.expect_keyword("BY")
        items = [self.order_item()]
        while self.at_punct(","):
            self.advance()
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        path = self.path()
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.advance().upper == "DESC"
        nulls_first = None
        if self.at_keyword("NULLS"):
            self.advance()
            if not self.at_keyword("FIRST", "LAST"):
                raise self.fail()
            nulls_first = self.advance().upper == "FIRST"
        return OrderItem(path, descending, nulls_first)

    def integer_clause(self, word: str) -> int | None:
        if not self.at_keyword(word):
            return None
        self.advance()
        token = self.current
        if token.kind is not Kind.NUMBER or not isinstance(token.literal, NumberLit):
            raise self.fail()
        value = token.literal.value
        if not isinstance(value, int) or token.text.startswith(("+", "-")):
            raise self.fail()
        self.advance()
        return value

    # -- conditions ----------------------------------------------------------------------

    def condition(self) -> Condition:
        first = self.term()
        if not self.at_keyword("AND", "OR"):
            return first
        word = self.current.upper
        other = "OR" if word == "AND" else "AND"
        operands = [first]
        while self.at_keyword(word):
            self.advance()
            operands.append(self.term())
        if self.at_keyword(other):
            # Salesforce rejects `a AND b OR c`: mixing needs parentheses.
            raise self.fail()
        return And(tuple(operands)) if word == "AND" else Or(tuple(operands))

    def term(self) -> Condition:
        if self.at_keyword("NOT"):
            self.advance()
            return Not(self.term())
        if self.at_punct("("):
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.predicate()

    def predicate(self) -> Condition:
        path = self.path()
        token = self.current
        if token.kind is Kind.OP:
            self.advance()
            op = "!=" if token.text == "<>" else token.text
            return Comparison(path, cast(ComparisonOp, op), self.value())
        if self.at_keyword("LIKE"):
            self.advance()
            return Comparison(path, "LIKE", self.value())
        negated = self.at_keyword("NOT")
        if negated:
            self.advance()
        if self.at_keyword("IN"):
            self.advance()
            return self.in_operand(path, negated)
        raise self.fail()

    def in_operand(self, path: FieldPath, negated: bool) -> Condition:
        self.expect_punct("(")
        if self.at_keyword("SELECT"):
            subquery = self.query()
            self.expect_punct(")")
            return SemiJoin(path, subquery, negated)
        values = [self.value()]
        while self.at_punct(","):
            self.advance()
            values.append(self.value())
        self.expect_punct(")")
        return InList(path, tuple(values), negated)

    def value(self) -> Value:
        token = self.current
        if token.literal is not None:
            self.advance()
            return token.literal
        if token.kind is not Kind.IDENT:
            raise self.fail()
        upper = token.upper
        if upper in {"TRUE", "FALSE"}:
            self.advance()
            return BoolLit(upper == "TRUE", token.pos)
        if upper == "NULL":
            self.advance()
            return NullLit(token.pos)
        if dates.is_date_keyword(upper):
            self.advance()
            return DateKeyword(upper, self.keyword_n(upper), token.pos)
        raise self.fail()

    def keyword_n(self, name: str) -> int | None:
        """The `:n` of `LAST_N_DAYS:n` and friends (required exactly for those keywords)."""
        if not dates.takes_n(name):
            return None
        self.expect_punct(":")
        token = self.current
        literal = token.literal
        if (
            not isinstance(literal, NumberLit)
            or not isinstance(literal.value, int)
            or token.text.startswith(("+", "-"))
        ):
            raise self.fail()
        self.advance()
        return literal.value
