"""Column access with a default, and safe division: the frame helpers every floor uses.

A table built by another stage may lack a column (an optional input, a stage not run); the
accessors here read such a column as all missing (or all ``default``) instead of failing,
and always return values aligned on the table's index.  :func:`ratio` divides without ever
producing infinity or a made-up 0 for an unknown denominator.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import pandas as pd


def column(frame: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    """Column ``name``, or a Series of ``default`` on ``frame.index`` when the table lacks it.

    A missing column with the default NaN is float64, so that it reads as all missing.

    >>> t = pd.DataFrame({"a": [1, 2]})
    >>> column(t, "a").tolist(), column(t, "b").tolist(), column(t, "b", "x").tolist()
    ([1, 2], [nan, nan], ['x', 'x'])
    """
    if name in frame.columns:
        return frame[name]
    dtype = "float64" if isinstance(default, float) and np.isnan(default) else None
    return pd.Series(default, index=frame.index, dtype=dtype)


def numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as a float64 array (NaN for missing, unreadable or absent values).

    >>> numbers(pd.DataFrame({"a": [1, None, "x"]}), "a").tolist()
    [1.0, nan, nan]
    >>> numbers(pd.DataFrame(index=[0, 1]), "a").tolist()
    [nan, nan]
    """
    values = pd.Series(pd.to_numeric(column(frame, name), errors="coerce"))
    return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan))


def numeric(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as a float64 Series on ``frame.index`` (see :func:`numbers`).

    >>> numeric(pd.DataFrame({"a": [2, None]}, index=[5, 6]), "a")
    5    2.0
    6    NaN
    Name: a, dtype: float64
    """
    label = name if name in frame.columns else None
    return pd.Series(numbers(frame, name), index=frame.index, name=label, dtype="float64")


def flag(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as plain bool: True only where the value is true (missing → False).

    >>> t = pd.DataFrame({"a": pd.array([True, pd.NA, False], dtype="boolean")})
    >>> flag(t, "a").tolist(), flag(t, "b").tolist()
    ([True, False, False], [False, False, False])
    """
    if name not in frame.columns:
        return pd.Series(False, index=frame.index, dtype="bool")
    return frame[name].eq(True).fillna(False).astype(bool)


def boolean(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as nullable boolean; all NA when the table lacks it.

    >>> boolean(pd.DataFrame({"a": [True, None]}), "a").tolist()
    [True, <NA>]
    >>> boolean(pd.DataFrame(index=[0]), "a").tolist()
    [<NA>]
    """
    return column(frame, name, pd.NA).astype("boolean")


def is_one_of(series: pd.Series, *values: Any) -> np.ndarray:
    """True where ``series`` equals one of ``values`` (missing → False), as a plain array.

    >>> is_one_of(pd.Series(["a", None, "c"]), "a", "c").tolist()
    [True, False, True]
    """
    return np.asarray(series.isin(values).fillna(False), dtype=bool)


def is_in(values: pd.Series, allowed: pd.Series) -> np.ndarray:
    """True where ``values`` holds one of ``allowed``'s present values (missing → False), as a
    plain array: by Arrow's hash lookup when both are Arrow-backed text, else as objects
    (pandas' ``isin`` on Arrow-backed text is slow).

    >>> a = pd.Series(["P1", None, "P3", "p1"], dtype="string[pyarrow]")
    >>> b = pd.Series(["P1", "P3", None], dtype="string[pyarrow]")
    >>> is_in(a, b).tolist(), is_in(a.astype(object), b).tolist()
    ([True, False, True, False], [True, False, True, False])
    """
    if all(
        isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"
        for s in (values, allowed)
    ):
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(values.array)
        keys = pa.array(allowed.dropna().array).cast(arr.type)
        hit = pc.is_in(arr, value_set=keys)
        return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    found = values.astype(object).isin(allowed.dropna().astype(object))
    return np.asarray(found, dtype=bool) & values.notna().to_numpy(dtype=bool)


def days(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as datetime64[D] (NaT for missing or unreadable), time of day dropped.

    >>> days(pd.DataFrame({"d": ["2024-02-29 13:00", None]}), "d").tolist()
    [datetime.date(2024, 2, 29), None]
    """
    values = pd.to_datetime(column(frame, name), errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return np.asarray(values.to_numpy(dtype="datetime64[D]"))


#: What :func:`ratio` divides by: a Series, an array or one number.
Denominator = pd.Series | np.ndarray | float


@overload
def ratio(num: pd.Series, den: Denominator, default: float = ...) -> pd.Series: ...
@overload
def ratio(num: np.ndarray, den: Denominator, default: float = ...) -> np.ndarray: ...
def ratio(
    num: pd.Series | np.ndarray, den: Denominator, default: float = np.nan
) -> pd.Series | np.ndarray:
    """``num ÷ den`` where ``den`` is positive, else ``default`` (NaN); never infinity.

    A Series ``num`` gives a float64 Series on its index (named like ``num`` when ``den``
    has the same name or none), an array gives an array.  A missing ``num`` stays missing.

    >>> ratio(pd.Series([3.0, 1.0, 1.0, np.nan]), pd.Series([2.0, 0.0, np.nan, 4.0])).tolist()
    [1.5, nan, nan, nan]
    >>> ratio(np.array([1.0, 2.0]), np.array([-1.0, 4.0]), default=0.0).tolist()
    [0.0, 0.5]
    """
    n = np.asarray(pd.Series(num).to_numpy(dtype="float64", na_value=np.nan))
    if isinstance(den, pd.Series):
        d = np.asarray(den.to_numpy(dtype="float64", na_value=np.nan))
    else:
        d = np.broadcast_to(np.asarray(den, dtype="float64"), n.shape)
    ok = d > 0
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.where(ok, n / np.where(ok, d, 1.0), default)
    out = np.where(np.isinf(out), np.nan, out)
    if not isinstance(num, pd.Series):
        return out
    same = not isinstance(den, pd.Series) or den.name == num.name
    return pd.Series(out, index=num.index, name=num.name if same else None, dtype="float64")
