"""Helpers shared by the list pages' django-filter FilterSets."""


def ignored_filter_notes(filterset) -> list[str]:
    """One readable line per URL parameter that did not validate and so was ignored (never an error page)."""
    notes = []
    for name, errors in filterset.form.errors.items():
        field = filterset.form.fields.get(name)
        label = field.label if field is not None else name
        notes.append(f"{label}: {' '.join(errors)} This filter was ignored.")
    return notes


def tidy_url(request) -> str:
    """The request's URL without empty parameters: what an HTMX-updated list pushes into the address bar
    (the GET form sends every field, `?q=ada&product=&provider=`, and a shared link should read cleanly)."""
    query = request.GET.copy()
    for name in list(query):
        values = [v for v in query.getlist(name) if v.strip()]
        if values:
            query.setlist(name, values)
        else:
            del query[name]
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path
