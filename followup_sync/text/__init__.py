"""Reading mail text: zoning (the author's own words), promises, due dates and the other signals a pass needs.

Every function here is pure and fast; importing this package pulls in nothing heavier than the stdlib.
"""
