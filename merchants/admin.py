from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import Membership, Merchant, User

SECRET_FIELDS = ("stripe_secret_key", "stripe_webhook_secret", "telegram_bot_token")


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("merchant", "user")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff sign in with their email: Django's user admin without the username."""

    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff", "is_superuser", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )
    inlines = (MembershipInline,)


class MerchantForm(forms.ModelForm):
    """Secrets are write-only: the stored value is never rendered; a new one replaces it, blank keeps it."""

    new_stripe_secret_key = forms.CharField(
        required=False,
        label="Stripe secret key",
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the current key.",
    )
    new_stripe_webhook_secret = forms.CharField(
        required=False,
        label="Stripe webhook secret",
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the current secret.",
    )
    new_telegram_bot_token = forms.CharField(
        required=False,
        label="Telegram bot token",
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the current token.",
    )

    class Meta:
        model = Merchant
        exclude = SECRET_FIELDS  # noqa: DJ006 - the one thing this form must never render

    def save(self, commit=True):
        merchant = super().save(commit=False)
        for name in SECRET_FIELDS:
            if value := self.cleaned_data.get(f"new_{name}", "").strip():
                setattr(merchant, name, value)
        if commit:
            merchant.save()
            self.save_m2m()
        return merchant


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    form = MerchantForm
    list_display = (
        "name",
        "slug",
        "provider",
        "default_currency",
        "has_stripe_key",
        "has_bot_token",
        "created_at",
    )
    list_filter = ("provider",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    # What the connection check found: set by the owner's Settings page, not typed in here.
    readonly_fields = (
        "secrets_status",
        "stripe_account_id",
        "stripe_account_name",
        "stripe_livemode",
        "stripe_webhook_endpoint_id",
        "stripe_connected_at",
        "created_at",
    )
    inlines = (MembershipInline,)

    @admin.display(boolean=True, description="Stripe key")
    def has_stripe_key(self, obj):
        return bool(obj.stripe_secret_key)

    @admin.display(boolean=True, description="Bot token")
    def has_bot_token(self, obj):
        return bool(obj.telegram_bot_token)

    @admin.display(description="Stored secrets")
    def secrets_status(self, obj):
        labels = {
            "stripe_secret_key": "Stripe secret key",
            "stripe_webhook_secret": "Webhook secret",
            "telegram_bot_token": "Telegram bot token",
        }
        return ", ".join(
            f"{label}: {'set' if getattr(obj, name) else 'not set'}" for name, label in labels.items()
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "merchant", "role", "is_active", "created_at")
    list_filter = ("role", "is_active", "merchant")
    search_fields = ("user__email", "merchant__name")
    list_select_related = ("user", "merchant")
    autocomplete_fields = ("user", "merchant")
