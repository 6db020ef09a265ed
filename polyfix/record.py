"""Plain data classes without the dataclasses module, whose import (inspect, ast, dis, tokenize) costs
a one-file run more than all of polyfix's own modules: `@record` gives a class an __init__ taking its
annotated fields in order (positional or by name), defaults, per-instance defaults from `new(list)`,
equality and repr; `frozen=True` adds hashing and refuses assignment, `order=True` sorting."""
from __future__ import annotations

_MISSING = object()


class new:
    """A default made fresh for each instance: `edits: list = new(list)`."""

    def __init__(self, make):
        self.make = make


def record(cls=None, *, frozen: bool = False, order: bool = False):
    if cls is None:
        return lambda c: record(c, frozen=frozen, order=order)
    names = tuple(cls.__dict__.get("__annotations__", {}))
    defaults = {n: cls.__dict__[n] for n in names if n in cls.__dict__}
    for n, d in defaults.items():
        if isinstance(d, new):
            delattr(cls, n)  # an instance always has its own
    plain = {n: d for n, d in defaults.items() if not isinstance(d, new)}
    fresh = {n: d.make for n, d in defaults.items() if isinstance(d, new)}

    def __init__(self, *args, **kwargs):
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} arguments, {len(args)} given")
        put = object.__setattr__
        for name, v in zip(names, args):
            put(self, name, v)
        for name in names[len(args):]:
            if name in kwargs:
                put(self, name, kwargs.pop(name))
            elif name in plain:
                put(self, name, plain[name])
            elif name in fresh:
                put(self, name, fresh[name]())
            else:
                raise TypeError(f"{cls.__name__}() needs `{name}`")
        if kwargs:
            raise TypeError(f"{cls.__name__}() has no field `{next(iter(kwargs))}`")

    def _values(self):
        return tuple(getattr(self, n) for n in names)

    def __eq__(self, other):
        return self._values() == other._values() if other.__class__ is self.__class__ else NotImplemented

    def __repr__(self):
        return f"{cls.__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"

    cls.__init__, cls._values, cls.__eq__, cls.__repr__ = __init__, _values, __eq__, __repr__
    cls.__match_args__ = names
    if frozen:
        def __setattr__(self, name, value):
            raise AttributeError(f"{cls.__name__} is frozen: cannot set `{name}`")

        cls.__setattr__ = __setattr__
        cls.__delattr__ = __setattr__
        cls.__hash__ = lambda self: hash(self._values())
    else:
        cls.__hash__ = None
    if order:
        cls.__lt__ = lambda a, b: a._values() < b._values() if a.__class__ is b.__class__ else NotImplemented
        cls.__le__ = lambda a, b: a._values() <= b._values() if a.__class__ is b.__class__ else NotImplemented
        cls.__gt__ = lambda a, b: a._values() > b._values() if a.__class__ is b.__class__ else NotImplemented
        cls.__ge__ = lambda a, b: a._values() >= b._values() if a.__class__ is b.__class__ else NotImplemented
    return cls
