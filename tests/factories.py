"""factory-boy factories for every model, with traits (PurchaseFactory(canceled=True))."""

from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from access.models import (
    AccessGrant,
    ChatMember,
    LinkToken,
    TelegramAccount,
    TelegramBot,
    TelegramChat,
    TelegramUpdate,
)
from attention.models import AttentionClaim, AttentionKind
from customers.models import BlockEvent, Customer, CustomerIdentifier, Identifier, PaymentMethod
from exports.models import ExportJob, ExportKind
from merchants.models import Membership, Merchant, Role, User
from providers.models import InvoicePayment, ProviderEvent, ProviderInvoice
from purchases.models import AccessCode, Product, Purchase
from refunds.models import Credit, Repayment
from transactions.models import Dispute, DisputeStatus, Note, Transaction

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Merchant {n}")
    slug = factory.Sequence(lambda n: f"merchant-{n}")
    provider = Merchant.Provider.SANDBOX
    stripe_webhook_secret = "whsec_test_secret"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = Role.OWNER

    class Params:
        manager = factory.Trait(role=Role.MANAGER)
        support = factory.Trait(role=Role.SUPPORT)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    merchant = factory.SubFactory(MerchantFactory)
    provider_customer_id = factory.Sequence(lambda n: f"cus_T{n:010d}")
    name = factory.Faker("name")
    email = factory.LazyAttributeSequence(lambda o, n: f"customer{n}@example.org")
    country = "DE"
    providers_used = factory.LazyFunction(lambda: ["STRIPE"])
    first_purchase_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=90))
    last_purchase_at = factory.LazyFunction(timezone.now)


class IdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identifier

    merchant = factory.SubFactory(MerchantFactory)
    kind = Identifier.Kind.CARD
    value = factory.Sequence(lambda n: f"fp_{n:012d}")
    brand = "visa"
    last4 = "4242"
    exp_month = 4
    exp_year = 2028
    display = factory.LazyAttribute(
        lambda o: f"{o.brand.title()} •••• {o.last4}, {o.exp_month:02d}/{o.exp_year % 100:02d}"
    )

    class Params:
        email = factory.Trait(
            kind=Identifier.Kind.EMAIL,
            value=factory.Sequence(lambda n: f"buyer{n}@example.org"),
            brand="",
            last4="",
            exp_month=None,
            exp_year=None,
            display=factory.SelfAttribute("value"),
        )
        customer_id = factory.Trait(
            kind=Identifier.Kind.CUSTOMER_ID,
            value=factory.Sequence(lambda n: f"cus_I{n:010d}"),
            brand="",
            last4="",
            exp_month=None,
            exp_year=None,
            display=factory.SelfAttribute("value"),
        )
        sepa = factory.Trait(
            kind=Identifier.Kind.BANK_ACCOUNT,
            brand="",
            last4="3000",
            exp_month=None,
            exp_year=None,
            bank_name="Deutsche Bank",
            display="SEPA DE •••• 3000",
        )
        blocked = factory.Trait(is_blocked=True, blocked_at=factory.LazyFunction(timezone.now))


class CustomerIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerIdentifier

    customer = factory.SubFactory(CustomerFactory)
    identifier = factory.SubFactory(IdentifierFactory, merchant=factory.SelfAttribute("..customer.merchant"))


class BlockEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlockEvent

    identifier = factory.SubFactory(IdentifierFactory)
    merchant = factory.SelfAttribute("identifier.merchant")
    action = BlockEvent.Action.BLOCK
    reason = BlockEvent.Reason.FRAUD
    source = BlockEvent.Source.MANUAL
    created_at = factory.LazyFunction(timezone.now)


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    customer = factory.SubFactory(CustomerFactory)
    merchant = factory.SelfAttribute("customer.merchant")
    provider_id = factory.Sequence(lambda n: f"pm_T{n:012d}")
    type = "card"
    brand = "visa"
    last4 = "4242"
    exp_month = 4
    exp_year = 2028


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Premium channel {n}")
    kind = Product.Kind.SUBSCRIPTION
    provider_product_id = factory.Sequence(lambda n: f"prod_T{n:010d}")
    amount = 1999
    currency = "eur"
    interval = "month"

    class Params:
        one_time = factory.Trait(kind=Product.Kind.ONE_TIME, interval="")


class PurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Purchase

    customer = factory.SubFactory(CustomerFactory)
    merchant = factory.SelfAttribute("customer.merchant")
    product = factory.SubFactory(ProductFactory, merchant=factory.SelfAttribute("..merchant"))
    kind = Purchase.Kind.SUBSCRIPTION
    status = Purchase.Status.ACTIVE
    provider_subscription_id = factory.Sequence(lambda n: f"sub_T{n:010d}")
    amount = 1999
    currency = "eur"
    interval = "month"
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=40))
    current_period_start_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    current_period_end_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))

    class Params:
        one_time = factory.Trait(
            kind=Purchase.Kind.ONE_TIME,
            provider_subscription_id=None,
            interval="",
            current_period_start_at=None,
            current_period_end_at=None,
            product=factory.SubFactory(
                ProductFactory, merchant=factory.SelfAttribute("..merchant"), one_time=True
            ),
        )
        access_code = factory.Trait(
            kind=Purchase.Kind.ACCESS_CODE,
            provider_subscription_id=None,
            interval="",
            amount=None,
            currency="",
            current_period_start_at=None,
            current_period_end_at=None,
        )
        trialing = factory.Trait(status=Purchase.Status.TRIALING)
        past_due = factory.Trait(status=Purchase.Status.PAST_DUE)
        unpaid = factory.Trait(status=Purchase.Status.UNPAID)
        scheduled = factory.Trait(
            cancel_at_period_end=True, cancel_at=factory.SelfAttribute("current_period_end_at")
        )
        canceled = factory.Trait(
            status=Purchase.Status.CANCELED,
            canceled_at=factory.LazyFunction(timezone.now),
            ended_at=factory.LazyFunction(timezone.now),
        )


class AccessCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessCode

    merchant = factory.SubFactory(MerchantFactory)
    duration = AccessCode.Duration.LIFETIME


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    customer = factory.SubFactory(CustomerFactory)
    merchant = factory.SelfAttribute("customer.merchant")
    kind = Transaction.Kind.CHARGE
    status = Transaction.Status.SUCCEEDED
    amount = 1999
    currency = "eur"
    method_type = "card"
    method_brand = "visa"
    method_last4 = "4242"
    method_exp_month = 4
    method_exp_year = 2028
    method_country = "DE"
    provider_id = factory.Sequence(lambda n: f"ch_T{n:014d}")
    occurred_at = factory.LazyFunction(timezone.now)

    class Params:
        sepa = factory.Trait(
            method_type="sepa_debit",
            method_brand="",
            method_last4="3000",
            method_exp_month=None,
            method_exp_year=None,
            method_bank_name="Deutsche Bank",
        )
        failed = factory.Trait(
            status=Transaction.Status.FAILED,
            failure_code="card_declined",
            failure_message="Your card was declined.",
        )
        refund = factory.Trait(
            kind=Transaction.Kind.REFUND, provider_id=factory.Sequence(lambda n: f"re_T{n:014d}")
        )
        chargeback = factory.Trait(
            kind=Transaction.Kind.CHARGEBACK,
            status=Transaction.Status.NEEDS_RESPONSE,
            provider_id=factory.Sequence(lambda n: f"dp_T{n:014d}"),
        )


class DisputeFactory(factory.django.DjangoModelFactory):
    """The dispute beside a chargeback row (what providers.apply writes for charge.dispute.*)."""

    class Meta:
        model = Dispute

    transaction = factory.SubFactory(TransactionFactory, chargeback=True)
    merchant = factory.SelfAttribute("transaction.merchant")
    provider_id = factory.SelfAttribute("transaction.provider_id")
    status = DisputeStatus.NEEDS_RESPONSE
    reason = "fraudulent"
    amount = factory.SelfAttribute("transaction.amount")
    currency = factory.SelfAttribute("transaction.currency")
    due_by = factory.LazyFunction(lambda: timezone.now() + timedelta(days=5))


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    transaction = factory.SubFactory(TransactionFactory)
    merchant = factory.SelfAttribute("transaction.merchant")
    body = factory.Faker("sentence")
    created_at = factory.LazyFunction(timezone.now)


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credit

    transaction = factory.SubFactory(TransactionFactory)
    merchant = factory.SelfAttribute("transaction.merchant")
    amount = 500
    currency = factory.SelfAttribute("transaction.currency")
    reason = Credit.Reason.REQUESTED_BY_CUSTOMER
    created_at = factory.LazyFunction(timezone.now)


class RepaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repayment

    chargeback = factory.SubFactory(TransactionFactory, chargeback=True)
    merchant = factory.SelfAttribute("chargeback.merchant")
    method = Repayment.Method.MANUAL
    amount = 500
    currency = factory.SelfAttribute("chargeback.currency")
    created_at = factory.LazyFunction(timezone.now)


class ProviderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderEvent

    merchant = factory.SubFactory(MerchantFactory)
    provider_event_id = factory.Sequence(lambda n: f"evt_T{n:014d}")
    type = "charge.succeeded"
    payload = factory.LazyFunction(dict)
    provider_created_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyFunction(timezone.now)


class ProviderInvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderInvoice

    merchant = factory.SubFactory(MerchantFactory)
    provider_invoice_id = factory.Sequence(lambda n: f"in_T{n:014d}")
    provider_subscription_id = factory.Sequence(lambda n: f"sub_T{n:010d}")
    status = "paid"


class InvoicePaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoicePayment

    merchant = factory.SubFactory(MerchantFactory)
    provider_id = factory.Sequence(lambda n: f"inpay_T{n:014d}")
    provider_invoice_id = factory.Sequence(lambda n: f"in_T{n:014d}")
    payment_intent_id = factory.Sequence(lambda n: f"pi_T{n:014d}")
    status = "paid"


class TelegramChatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TelegramChat

    merchant = factory.SubFactory(MerchantFactory)
    chat_id = factory.Sequence(lambda n: -1001000000000 - n)
    title = factory.Sequence(lambda n: f"Paid channel {n}")


class TelegramAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TelegramAccount

    customer = factory.SubFactory(CustomerFactory)
    merchant = factory.SelfAttribute("customer.merchant")
    telegram_user_id = factory.Sequence(lambda n: 500000000 + n)
    username = factory.Sequence(lambda n: f"member{n}")


class AccessGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessGrant

    purchase = factory.SubFactory(PurchaseFactory)
    merchant = factory.SelfAttribute("purchase.merchant")
    chat = factory.SubFactory(TelegramChatFactory, merchant=factory.SelfAttribute("..merchant"))
    account = factory.SubFactory(
        TelegramAccountFactory, customer=factory.SelfAttribute("..purchase.customer")
    )
    granted_at = factory.LazyFunction(timezone.now)


class TelegramBotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TelegramBot

    merchant = factory.SubFactory(MerchantFactory)
    bot_user_id = 7000000001
    username = "teller_test_bot"
    webhook_secret = "test-webhook-secret"
    webhook_set_at = factory.LazyFunction(timezone.now)


class LinkTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LinkToken

    purchase = factory.SubFactory(PurchaseFactory)
    merchant = factory.SelfAttribute("purchase.merchant")
    created_at = factory.LazyFunction(timezone.now)


class ChatMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatMember

    chat = factory.SubFactory(TelegramChatFactory)
    merchant = factory.SelfAttribute("chat.merchant")
    telegram_user_id = factory.Sequence(lambda n: 600000000 + n)
    username = factory.Sequence(lambda n: f"stranger{n}")
    status = ChatMember.Status.MEMBER
    changed_at = factory.LazyFunction(timezone.now)


class TelegramUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TelegramUpdate

    merchant = factory.SubFactory(MerchantFactory)
    update_id = factory.Sequence(lambda n: 900000 + n)
    kind = "message"
    payload = factory.LazyAttribute(lambda o: {"update_id": o.update_id, "message": {}})
    received_at = factory.LazyFunction(timezone.now)


def _export_file(job) -> str:
    from exports.services import new_file_name

    return default_storage.save(new_file_name(), ContentFile(b"customer_id,name\r\nAAAA1111BBBB,Ada\r\n"))


class ExportJobFactory(factory.django.DjangoModelFactory):
    """A finished background export with its file in the default storage (ExportJobFactory(queued=True))."""

    class Meta:
        model = ExportJob

    merchant = factory.SubFactory(MerchantFactory)
    kind = ExportKind.CUSTOMERS
    filters = factory.LazyFunction(dict)
    status = ExportJob.Status.DONE
    rows_done = 1
    rows_total = 1
    file = factory.LazyAttribute(_export_file)
    created_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))

    class Params:
        queued = factory.Trait(
            status=ExportJob.Status.QUEUED, file="", rows_done=0, rows_total=None, finished_at=None
        )


class AttentionClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttentionClaim

    merchant = factory.SubFactory(MerchantFactory)
    kind = AttentionKind.CREDIT
    key = factory.Sequence(str)
    claimed_by = factory.SubFactory(UserFactory)
    claimed_at = factory.LazyFunction(timezone.now)
