"""Tests of the platform clients (app/platforms): wire format, normalization, limits."""
