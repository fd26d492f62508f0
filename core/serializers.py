"""The base of every ModelSerializer of the API."""

from django.db import models
from rest_framework import serializers

from core.dates import DateSerializerField, DateTimeSerializerField


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer whose model dates and times are the window's fields
    (core.dates): checked as sent, before DRF moves a time to a zone, and shown safely
    when stored outside the window before it existed."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateSerializerField,
        models.DateTimeField: DateTimeSerializerField,
    }
