from django.contrib import admin

from session_policy import registry
from session_policy.devices import describe_device
from session_policy.models import UserSession


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Signed-in sessions, for administrators to see and end (delete); never to edit."""

    list_display = ["user", "device", "ip", "signed_in_at", "last_activity"]
    list_filter = ["signed_in_at"]
    search_fields = ["user__username", "ip"]
    fields = list_display
    readonly_fields = list_display

    @admin.display(description="Device")
    def device(self, user_session):
        return describe_device(user_session.user_agent)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_queryset(self, request, queryset):
        registry.revoke(queryset, reason="ended_by_admin", request=request)

    def delete_model(self, request, obj):
        registry.revoke([obj], reason="ended_by_admin", request=request)
