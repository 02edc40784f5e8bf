"""What a purchase's end does to Telegram access, before it happens: the chats the member loses and those kept
because another live purchase still gives them. `services.access_grant_revoke` decides with the same
`entitling_purchase`, so the cancel modals' preview is what the bot does. Reads only."""

from dataclasses import dataclass, field

from purchases.models import Purchase

from .models import AccessGrant, TelegramChat


def entitling_purchase(*, chat_id: int, account_id: int, excluding_purchase_id: int) -> Purchase | None:
    """Another live purchase of a customer linked to this Telegram account that gives the same chat."""
    return (
        Purchase.objects.live_now()
        .filter(product__chats=chat_id, customer__telegram_accounts=account_id)
        .exclude(pk=excluding_purchase_id)
        .select_related("product")
        .order_by("pk")
        .first()
    )


@dataclass(frozen=True)
class AccessPlan:
    lost: list[TelegramChat] = field(default_factory=list)
    kept: list[tuple[TelegramChat, Purchase]] = field(default_factory=list)  # (chat, the purchase keeping it)

    @property
    def changes_nothing(self) -> bool:
        return not self.lost


def access_loss_plan(purchase: Purchase) -> AccessPlan:
    """The purchase's active grants, split into removals and grants another purchase keeps."""
    return access_loss_plans([purchase])[purchase.pk]


def access_loss_plans(purchases) -> dict[int, AccessPlan]:
    """`access_loss_plan` of several purchases (block all's subscriptions): one query for their grants, then
    one per active grant to find a purchase that keeps it."""
    ids = [p.pk for p in purchases]
    split: dict[int, tuple[list, list]] = {pk: ([], []) for pk in ids}
    grants = (
        AccessGrant.objects.filter(purchase_id__in=ids, status=AccessGrant.Status.ACTIVE)
        .select_related("chat")
        .order_by("purchase_id", "chat__title", "pk")
    )
    for grant in grants:
        lost, kept = split[grant.purchase_id]
        other = entitling_purchase(
            chat_id=grant.chat_id, account_id=grant.account_id, excluding_purchase_id=grant.purchase_id
        )
        if other is None:
            lost.append(grant.chat)
        else:
            kept.append((grant.chat, other))
    return {pk: AccessPlan(lost=lost, kept=kept) for pk, (lost, kept) in split.items()}
