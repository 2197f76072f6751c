"""Tests of the pure domain layer: lifecycle, policy, money, opportunities, filters."""
