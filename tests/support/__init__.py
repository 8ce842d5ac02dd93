"""Helpers shared by test modules: a test module imports from here and from conftest fixtures, never from
another test module."""
