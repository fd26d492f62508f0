from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from exports import registry
from exports.models import ExportJob


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.kind, kind.label) for kind in registry.kinds()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Exports are made by the export links of the pages; the admin lists them and may
    delete them, nothing else. The stored file is never loaded here (megabytes a row):
    the owner downloads it from their exports page."""

    list_display = ["file_name", "owner", "kind_name", "status", "rows_done", "rows_total",
                    "size", "created_at"]  # fmt: skip
    list_filter = [KindFilter, "status"]
    search_fields = ["file_name", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    fields = ["owner", "team", "kind_name", "params", "file_name", "status", "rows_done",
              "rows_total", "size", "error", "created_at", "started_at", "progress_at",
              "finished_at"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("result")

    @admin.display(description="Kind", ordering="kind")
    def kind_name(self, job: ExportJob) -> str:
        return job.kind_label

    @admin.display(description="CSV size", ordering="csv_size")
    def size(self, job: ExportJob) -> str:
        return filesizeformat(job.csv_size) if job.csv_size else "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
