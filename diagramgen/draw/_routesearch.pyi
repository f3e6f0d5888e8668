# The compiled search of routes.Router._search and loops of Router._cells_of and Router._mark (_routesearch.c); see routes.py.
VERSION: int

def search(nx: int, ny: int, dxs: list, dys: list, hx: list, hy_turn: list, hx_turn: list, hy: list,
           special: set, tables: tuple, route: tuple, costs: tuple, start: int, goal: dict, stop: float,
           bend: float, window: tuple) -> tuple: ...

def cells(xs: object, ys: object, points: list, near: float) -> tuple[list, list]: ...

def mark(table: object, bit: int, special: bytearray, cells: object, value: object, owner: object) -> None: ...
