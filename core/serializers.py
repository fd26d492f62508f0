"""The base of every ModelSerializer of the API."""

from django.db import models
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.dates import DateSerializerField, DateTimeSerializerField
from core.web import WebAddressField, WebAddressSerializerField

FIXED_AFTER_CREATE = "Cannot be changed once recorded: it identifies the record."


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer whose model dates and times are the window's fields
    (core.dates): checked as sent, before DRF moves a time to a zone, and shown safely
    when stored outside the window before it existed. Web addresses are the rule of
    web addresses' (core.web): spelt as the model field spells them, then validated."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateSerializerField,
        models.DateTimeField: DateTimeSerializerField,
        WebAddressField: WebAddressSerializerField,
    }

    # Fields that identify the record and do not change once it exists (a referral's
    # referrer and prospect, a goal's week). An update may send them — a client that PUTs
    # back what it read does — but only with the values they have: another value is a
    # 400 that says so, not silently ignored.
    fixed_after_create: tuple[str, ...] = ()

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if self.instance is None or isinstance(self.instance, list):
            return values
        errors = {}
        for name in self.fixed_after_create:
            source = self.fields[name].source
            if source not in values:
                continue
            if values[source] != getattr(self.instance, source):
                errors[name] = [FIXED_AFTER_CREATE]
            else:
                del values[source]
        if errors:
            raise ValidationError(errors)
        return values

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, WebAddressField):
            field_kwargs["normalize"] = model_field.normalize
        return field_class, field_kwargs
