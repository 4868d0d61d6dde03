"""Inbox handlers: one module per activity family (``follow``, ``create``, ``update``,
``delete``, ``like``, ``flag``, ``undo``), the context they receive (``context``) and the one
dispatch table (``dispatch``). Unknown types are ignored and logged, never stored half-understood.
"""
