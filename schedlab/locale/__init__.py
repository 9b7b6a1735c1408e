"""The words of each language schedlab speaks: one keyed file per language."""
