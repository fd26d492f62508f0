"""The base of every ModelSerializer of the API."""

from django.db import models
from rest_framework import serializers

from core.dates import DateSerializerField, DateTimeSerializerField
from core.web import WebAddressField, WebAddressSerializerField


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

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, WebAddressField):
            field_kwargs["normalize"] = model_field.normalize
        return field_class, field_kwargs
