"""`{% export_button "customers" form %}`: the list's "Export CSV" button, a POST form carrying the filters
the list applied (the values of `form`'s fields that validated; cursors and pages are not filters)."""

from django import template

register = template.Library()


@register.inclusion_tag("components/_export_button.html", takes_context=True)
def export_button(context, kind: str, form, label: str = "Export CSV"):
    can = context.get("can")
    allowed = bool(can) and can["export"]
    fields = []
    if form is not None and form.is_bound:
        errors = form.errors
        for name in form.fields:
            if name in errors:
                continue
            for value in form.data.getlist(name) if hasattr(form.data, "getlist") else []:
                if value != "":
                    fields.append((name, value))
    return {
        "allowed": allowed,
        "kind": kind,
        "fields": fields,
        "label": label,
        "csrf_token": context.get("csrf_token"),
    }
