from django import template

from common.money import format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount, currency):
    """{{ txn.amount|money:txn.currency }} → "€12.50"; the only place money is formatted."""
    return format_money(amount, currency)


@register.filter(name="initials")
def initials(name):
    parts = [p for p in str(name or "").replace("@", " ").split() if p[:1].isalnum()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter(name="humanize_choice")
def humanize_choice(value):
    return str(value or "").replace("_", " ").capitalize()
