from django.contrib import admin
from django.db.models import Q

from fangkong.privacy.crypto import keyed_hash

from .models import ApiToken, Membership, Person, Region, RoleGrant, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "region", "timezone", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "enterprise", "region"]
    readonly_fields = ["path", "depth"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["employee_no", "name", "unit", "status", "id_number_masked", "mobile_masked"]
    search_fields = ["employee_no", "name"]
    list_filter = ["status"]
    raw_id_fields = ["unit", "enterprise", "user"]
    # Never shown or edited here: encrypted at rest; revealing one is a logged action (privacy app).
    exclude = ["id_number", "mobile"]

    def get_search_results(self, request, queryset, search_term):
        """A full ID number or mobile is found through its keyed hash (the columns are encrypted)."""
        results, distinct = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().upper()
        if term:
            digest = keyed_hash(term)
            results |= queryset.filter(Q(id_number_hash=digest) | Q(mobile_hash=digest))
        return results, distinct


admin.site.register(Region, search_fields=["code", "name"])
admin.site.register(Membership, raw_id_fields=["person", "unit"])
admin.site.register(RoleGrant, list_display=["user", "role", "unit"], raw_id_fields=["user", "unit"])
admin.site.register(ApiToken, list_display=["prefix", "user", "created_at", "revoked_at"], exclude=["digest"])
