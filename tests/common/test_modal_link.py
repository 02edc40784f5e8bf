from django.template import Context, Template


def render(source: str, **context) -> str:
    return Template("{% load modal %}" + source).render(Context(context))


def test_a_modal_link_opens_its_url_in_the_modal_and_works_as_a_plain_link():
    html = render('{% modal_link url "Credit" class="btn btn-sm" data_key="c" %}', url="/refunds/5/credit/")

    assert html == (
        '<a href="/refunds/5/credit/" hx-get="/refunds/5/credit/" hx-target="#modal" class="btn btn-sm" '
        'data-key="c">Credit</a>'
    )


def test_a_modal_link_escapes_the_url_the_label_and_the_attributes():
    html = render(
        "{% modal_link url label title=title %}", url='/x/?a=1&b="2"', label="<b>Hi</b>", title='"><'
    )

    assert "<b>" not in html and 'title="&quot;&gt;&lt;"' in html
    assert 'href="/x/?a=1&amp;b=&quot;2&quot;"' in html
