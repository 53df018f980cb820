# Example modules (filled in by the module work).
