"""The notes' exercises: the NumPy reference cells, names, poems and the vanishing-gradient lesson."""
