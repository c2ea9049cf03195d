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
    actions = ["end_sessions"]

    @admin.display(description="Device")
    def device(self, user_session):
        return describe_device(user_session.user_agent)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        """Offer "End selected sessions" in place of Django's "Delete selected user sessions"."""
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="End selected sessions", permissions=["delete"])
    def end_sessions(self, request, queryset):
        ended = registry.revoke(queryset, reason="ended_by_admin", request=request)
        self.message_user(request, f"Ended {ended} session{'s' if ended != 1 else ''}.")

    def delete_queryset(self, request, queryset):
        registry.revoke(queryset, reason="ended_by_admin", request=request)

    def delete_model(self, request, obj):
        registry.revoke([obj], reason="ended_by_admin", request=request)
