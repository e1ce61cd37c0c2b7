"""Product questions answered from the product's own text (``qa``) and comparisons (``compare``)."""
