"""Reads for the Chats page, the customer page's Telegram panel and Settings > Telegram."""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.models import AuditAction, AuditEvent
from customers.models import Customer
from customers.selectors import BLOCKED_SCAN
from purchases.models import Purchase

from .linking import deep_link
from .models import AccessGrant, ChatMember, LinkToken, TelegramAccount, TelegramBot, TelegramChat


@dataclass
class ChatState:
    chat: TelegramChat
    state: str  # invited, requested, member, removed, removal pending, not invited
    grant: AccessGrant | None = None
    member: ChatMember | None = None


@dataclass
class AccountPanel:
    account: TelegramAccount
    chats: list[ChatState] = field(default_factory=list)


def _state(grants: list[AccessGrant], member: ChatMember | None) -> tuple[str, AccessGrant | None]:
    by_status = {g.status: g for g in grants}
    if AccessGrant.Status.REVOKE_PENDING in by_status:
        return "removal pending", by_status[AccessGrant.Status.REVOKE_PENDING]
    live = by_status.get(AccessGrant.Status.ACTIVE) or by_status.get(AccessGrant.Status.KEPT)
    if member is not None and member.in_chat:
        return "member", live
    if member is not None and member.status == ChatMember.Status.KICKED:
        return "removed", live or (grants[0] if grants else None)
    if live is not None:
        if live.join_requested_at:
            return "requested", live
        return ("invited", live) if live.invite_link else ("not invited", live)
    if AccessGrant.Status.REVOKED in by_status:
        return "removed", by_status[AccessGrant.Status.REVOKED]
    return ("left", None) if member is not None else ("not invited", None)


def customer_panel(customer) -> dict:
    accounts = list(TelegramAccount.objects.filter(customer=customer).order_by("pk"))
    grants = list(
        AccessGrant.objects.filter(account__in=accounts)
        .select_related("chat", "purchase__product")
        .order_by("-granted_at")
    )
    user_ids = [a.telegram_user_id for a in accounts]
    members = {
        (m.chat_id, m.telegram_user_id): m
        for m in ChatMember.objects.filter(
            merchant_id=customer.merchant_id, telegram_user_id__in=user_ids
        ).select_related("chat")
    }
    panels = []
    for account in accounts:
        chats: dict[int, TelegramChat] = {g.chat_id: g.chat for g in grants if g.account_id == account.pk}
        chats.update({cid: m.chat for (cid, uid), m in members.items() if uid == account.telegram_user_id})
        rows = []
        for chat in sorted(chats.values(), key=lambda c: c.title):
            member = members.get((chat.pk, account.telegram_user_id))
            state, grant = _state(
                [g for g in grants if g.account_id == account.pk and g.chat_id == chat.pk], member
            )
            rows.append(ChatState(chat=chat, state=state, grant=grant, member=member))
        panels.append(AccountPanel(account=account, chats=rows))
    return {"accounts": panels, "deep_links": _deep_links(customer), "declined": _declined(customer)}


def _deep_links(customer) -> list[tuple[Purchase, str, bool]]:
    bot = TelegramBot.objects.filter(merchant_id=customer.merchant_id).first()
    tokens = LinkToken.objects.filter(purchase__in=Purchase.objects.filter(customer=customer).live_now())
    if bot is None or not bot.username:
        return []
    return [
        (t.purchase, deep_link(bot_username=bot.username, token=t.token), t.used_at is not None)
        for t in tokens.select_related("purchase__product")
    ]


def _declined(customer) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(customer=customer, action=AuditAction.ACCESS_JOIN_DECLINED).order_by(
            "-created_at"
        )[:10]
    )


@dataclass
class ChatRow:
    telegram_user_id: int
    username: str
    member: ChatMember | None = None
    account: TelegramAccount | None = None
    purchase: Purchase | None = None
    state: str = ""


def chat_overview(chat: TelegramChat) -> dict:
    """Paying members, members with no live purchase ("not entitled"), buyers who have not joined yet."""
    members = list(ChatMember.objects.filter(chat=chat, status__in=ChatMember.IN_CHAT))
    live = list(
        Purchase.objects.live_now()
        .filter(product__chats=chat, merchant_id=chat.merchant_id)
        .select_related("customer", "product")
    )
    accounts = {
        a.telegram_user_id: a
        for a in TelegramAccount.objects.filter(merchant_id=chat.merchant_id)
        .filter(telegram_user_id__in=[m.telegram_user_id for m in members])
        .select_related("customer")
    }
    buyer_accounts = list(
        TelegramAccount.objects.filter(customer__in={p.customer_id for p in live}).select_related("customer")
    )
    purchase_of = {p.customer_id: p for p in live}
    paying, not_entitled, admins = [], [], []
    in_chat = set()
    for m in members:
        in_chat.add(m.telegram_user_id)
        account = accounts.get(m.telegram_user_id)
        purchase = purchase_of.get(account.customer_id) if account else None
        row = ChatRow(m.telegram_user_id, m.username, member=m, account=account, purchase=purchase)
        if purchase is not None:
            paying.append(row)
        elif m.status in (ChatMember.Status.CREATOR, ChatMember.Status.ADMINISTRATOR):
            admins.append(row)
        else:
            not_entitled.append(row)
    grants = {
        g.account_id: g
        for g in AccessGrant.objects.filter(
            chat=chat, status=AccessGrant.Status.ACTIVE, account__in=buyer_accounts
        )
    }
    waiting = []
    with_account = set()
    for account in buyer_accounts:
        with_account.add(account.customer_id)
        if account.telegram_user_id in in_chat:
            continue
        grant = grants.get(account.pk)
        state = (
            "requested"
            if grant and grant.join_requested_at
            else "invited"
            if grant and grant.invite_link
            else "not invited"
        )
        waiting.append(
            ChatRow(
                account.telegram_user_id,
                account.username,
                account=account,
                purchase=purchase_of.get(account.customer_id),
                state=state,
            )
        )
    unlinked = [p for p in live if p.customer_id not in with_account]
    return {
        "paying": paying,
        "not_entitled": not_entitled,
        "admins": admins,
        "waiting": waiting,
        "unlinked": unlinked,
        "waiting_count": len(waiting) + len(unlinked),
    }


def removals_pending(merchant):
    """Removals not done yet (REVOKE_PENDING, with the last error), oldest request first (a queryset).

    For the "Needs attention" queue; the partial index `access_grant_pending_idx` holds only these rows."""
    return (
        AccessGrant.objects.for_merchant(merchant)
        .filter(status=AccessGrant.Status.REVOKE_PENDING)
        .select_related("purchase__customer", "purchase__product", "chat", "account")
        .order_by("revoke_requested_at", "id")
    )


@dataclass(frozen=True)
class SharedAccount:
    """Another customer reached by one of this customer's Telegram accounts, or whose account reached one of
    this customer's purchases (an account moved by staff, or one person redeeming two buyers' links)."""

    customer_id: int
    account: str


def shared_telegram_accounts(customer, *, limit: int) -> list[SharedAccount]:
    """At most `limit` rows per direction, 2 queries: grants of this customer's purchases held by accounts
    now owned by others, and grants of others' purchases held by this customer's accounts."""
    mine = (
        AccessGrant.objects.filter(merchant_id=customer.merchant_id, purchase__customer=customer)
        .exclude(account__customer=customer)
        .values_list("account__customer_id", "account__username", "account__telegram_user_id")
        .distinct()
        .order_by("account__customer_id")[:limit]
    )
    theirs = (
        AccessGrant.objects.filter(merchant_id=customer.merchant_id, account__customer=customer)
        .exclude(purchase__customer=customer)
        .values_list("purchase__customer_id", "account__username", "account__telegram_user_id")
        .distinct()
        .order_by("purchase__customer_id")[:limit]
    )
    return [
        SharedAccount(customer_id=cid, account=f"@{username}" if username else str(user_id))
        for cid, username, user_id in (*mine, *theirs)
    ]


def customers_sharing_telegram_with_blocked(merchant):
    """Customers not blocked who share a Telegram account with a blocked customer (a queryset): their account
    holds access bought by a blocked customer, or a blocked customer's account holds access they bought.
    Starts from at most BLOCKED_SCAN blocked customers, as `customers_linked_to_blocked` does."""
    blocked = (
        Customer.objects.for_merchant(merchant).filter(is_blocked=True).order_by().values("id")[:BLOCKED_SCAN]
    )
    grants = AccessGrant.objects.filter(merchant_id=merchant.pk).order_by()
    holders = grants.filter(purchase__customer_id__in=blocked).values("account__customer_id")
    buyers = grants.filter(account__customer_id__in=blocked).values("purchase__customer_id")
    return (
        Customer.objects.for_merchant(merchant)
        .filter(is_blocked=False, pk__in=holders.union(buyers))
        .order_by("-first_purchase_at", "-id")
    )
