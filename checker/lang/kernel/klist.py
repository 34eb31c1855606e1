"""``struct list_head``: a circular doubly linked list as pointer arrays (include/linux/list.h).

Nodes are ids ``0..n-1``; the list head is node ``n``; ``LIST_POISON1`` and ``LIST_POISON2``
(what ``list_del`` leaves in a removed entry) are the values ``n+1`` and ``n+2``. Two state
variables hold every ``->next`` and ``->prev`` of the head and the nodes::

    lst = KList(s, "poll_list", nodes=2)         # empty: head points to itself
    lst.add_tail(t, 0)                           # list_add_tail, all four stores in one step
    lst.del_(t, 0)                               # list_del, one step

Because the list *is* its pointers, a list operation can also be written as its individual
stores, one atomic step each, so that another context can run in the middle of it (a list
update that is not protected by the lock it needs, or a preemptible one)::

    adder = s.actor("adder", lst.add_tail_labels("add") + ["done"], instances=2)
    lst.add_tail_steps(adder, "add", new=lambda i: i, next="done")

``lst.well_formed()`` (the pointers form one circular doubly linked list through the head),
``lst.on_list(x)`` (node ``x`` is reached from the head) and ``lst.integrity(expected)`` are the
list-integrity predicates to state properties with. Dereferencing a poisoned pointer inside a
step (``list_del`` twice) indexes outside the arrays: a modelling error naming the step, which is
what the kernel's general-protection fault on ``LIST_POISON1`` is.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from checker.lang.expr import And, Expr, Or, lift
from checker.lang.system import Actor, StepBuilder, System
from checker.lang.types import Array, Int

# the stores of include/linux/list.h, in source order (labels of the split forms)
ADD_TAIL_STORES = ("load_prev", "next_prev", "new_next", "new_prev", "prev_next")
ADD_TAIL_RCU_STORES = ("load_prev", "new_next", "new_prev", "publish", "next_prev")
DEL_STORES = ("load_prev", "load_next", "next_prev", "prev_next", "poison_next", "poison_prev")


class KList:
    """One ``struct list_head`` with ``nodes`` entries that may be linked into it."""

    def __init__(self, system: System, name: str, nodes: int, members: Sequence[int] = (), doc: str = "") -> None:
        if nodes < 1:
            raise ValueError("a list needs at least one node")
        self.system = system
        self.name = name
        self.n = nodes
        self.head = nodes
        self.POISON1 = nodes + 1
        self.POISON2 = nodes + 2
        self.ptr = Int(0, nodes + 2)
        ring = [self.head, *members]
        nxt = list(range(nodes + 1))  # INIT_LIST_HEAD: an entry off every list points to itself
        prv = list(range(nodes + 1))
        for k, x in enumerate(ring):
            nxt[x] = ring[(k + 1) % len(ring)]
            prv[x] = ring[k - 1]
        what = doc or name
        self.next = system.var(f"{name}.next", Array(nodes + 1, self.ptr), init=nxt,
                               doc=f"{what}: ->next of entries 0..{nodes - 1} and of the head ({nodes})")
        self.prev = system.var(f"{name}.prev", Array(nodes + 1, self.ptr), init=prv,
                               doc=f"{what}: ->prev of entries 0..{nodes - 1} and of the head ({nodes})")
        self._ident = "".join(c if c.isalnum() else "_" for c in name)

    # ---------------------------------------------------------------- single stores and reads
    def set_next(self, t: StepBuilder, node: Any, value: Any) -> None:
        """``node->next = value`` (``node`` may be an expression: a pointer read earlier)."""
        t.set(self.next[node], value)

    def set_prev(self, t: StepBuilder, node: Any, value: Any) -> None:
        """``node->prev = value``."""
        t.set(self.prev[node], value)

    def is_empty(self) -> Expr:
        """``list_empty(head)``: ``head->next == head``."""
        return self.next[self.head] == self.head

    # ---------------------------------------------------------------- atomic forms (one step)
    def add_tail(self, t: StepBuilder, new: Any) -> None:
        """``list_add_tail(new, head)`` inside the current step: ``__list_add(new, head->prev, head)``."""
        prev = t.let(f"_{self._ident}_prev", self.prev[self.head])
        self._link(t, new, prev, lift(self.head))

    def add(self, t: StepBuilder, new: Any) -> None:
        """``list_add(new, head)``: ``__list_add(new, head, head->next)``."""
        nxt = t.let(f"_{self._ident}_next", self.next[self.head])
        self._link(t, new, lift(self.head), nxt)

    def _link(self, t: StepBuilder, new: Any, prev: Expr, nxt: Expr) -> None:
        self.set_prev(t, nxt, new)      # next->prev = new
        self.set_next(t, new, nxt)      # new->next = next
        self.set_prev(t, new, prev)     # new->prev = prev
        self.set_next(t, prev, new)     # WRITE_ONCE(prev->next, new)

    def del_(self, t: StepBuilder, entry: Any, init: bool = False) -> None:
        """``list_del(entry)`` (``init=True``: ``list_del_init``) inside the current step."""
        prev = t.let(f"_{self._ident}_prev", self.prev[entry])
        nxt = t.let(f"_{self._ident}_next", self.next[entry])
        self.set_prev(t, nxt, prev)     # __list_del: next->prev = prev
        self.set_next(t, prev, nxt)     # WRITE_ONCE(prev->next, next)
        self.set_next(t, entry, entry if init else self.POISON1)
        self.set_prev(t, entry, entry if init else self.POISON2)

    def add_tail_rcu(self, t: StepBuilder, new: Any) -> None:
        """``list_add_tail_rcu(new, head)`` inside the current step (rculist.h ``__list_add_rcu``:
        ``new->next``, ``new->prev``, ``rcu_assign_pointer(prev->next, new)``, ``next->prev``)."""
        prev = t.let(f"_{self._ident}_prev", self.prev[self.head])
        self.set_next(t, new, self.head)
        self.set_prev(t, new, prev)
        self.set_next(t, prev, new)
        self.set_prev(t, self.head, new)

    def del_rcu(self, t: StepBuilder, entry: Any) -> None:
        """``list_del_rcu(entry)``: unlinked like ``list_del``, but ``entry->next`` is kept (only
        ``->prev`` is poisoned), so an RCU reader standing on the entry can walk on."""
        prev = t.let(f"_{self._ident}_prev", self.prev[entry])
        nxt = t.let(f"_{self._ident}_next", self.next[entry])
        self.set_prev(t, nxt, prev)
        self.set_next(t, prev, nxt)
        self.set_prev(t, entry, self.POISON2)

    # ---------------------------------------------------------------- split forms (one step per store)
    @staticmethod
    def add_tail_labels(prefix: str) -> list[str]:
        """The labels :meth:`add_tail_steps` registers (declare them with the actor's labels)."""
        return [f"{prefix}_{s}" for s in ADD_TAIL_STORES]

    @staticmethod
    def add_tail_rcu_labels(prefix: str) -> list[str]:
        """The labels :meth:`add_tail_rcu_steps` registers."""
        return [f"{prefix}_{s}" for s in ADD_TAIL_RCU_STORES]

    @staticmethod
    def walk_labels(prefix: str) -> list[str]:
        """The labels :meth:`walk_steps` registers."""
        return [f"{prefix}_first", f"{prefix}_next"]

    @staticmethod
    def del_labels(prefix: str) -> list[str]:
        """The labels :meth:`del_steps` registers."""
        return [f"{prefix}_{s}" for s in DEL_STORES]

    def add_tail_steps(self, actor: Actor, prefix: str, new: Callable[[int], Any], next: str,
                       func: str = "include/linux/list.h:list_add_tail") -> None:
        """``list_add_tail(new(i), head)`` by instance ``i`` of ``actor`` as five atomic steps: the
        load of ``head->prev`` and the four stores of ``__list_add``, in source order."""
        labels = self.add_tail_labels(prefix)
        prev = actor.local(f"{prefix}_prev", self.ptr, doc=f"{prefix}: head->prev as loaded by list_add_tail")
        head = self.head
        stores: list[tuple[str, Callable[[StepBuilder, int], None]]] = [
            ("prev = head->prev", lambda t, i: t.set(prev[i], self.prev[head])),
            ("next->prev = new", lambda t, i: self.set_prev(t, head, new(i))),
            ("new->next = next", lambda t, i: self.set_next(t, new(i), head)),
            ("new->prev = prev", lambda t, i: self.set_prev(t, new(i), prev[i])),
            ("WRITE_ONCE(prev->next, new)", lambda t, i: self.set_next(t, prev[i], new(i))),
        ]
        self._chain(actor, labels, stores, next, func)

    def add_tail_rcu_steps(self, actor: Actor, prefix: str, new: Callable[[int], Any], next: str,
                           func: str = "include/linux/rculist.h:list_add_tail_rcu") -> None:
        """``list_add_tail_rcu(new(i), head)`` as five steps in ``__list_add_rcu``'s order: the
        entry is filled in before ``rcu_assign_pointer`` publishes it to readers."""
        labels = self.add_tail_rcu_labels(prefix)
        prev = actor.local(f"{prefix}_prev", self.ptr, doc=f"{prefix}: head->prev as loaded by list_add_tail_rcu")
        head = self.head
        stores: list[tuple[str, Callable[[StepBuilder, int], None]]] = [
            ("prev = head->prev", lambda t, i: t.set(prev[i], self.prev[head])),
            ("new->next = next", lambda t, i: self.set_next(t, new(i), head)),
            ("new->prev = prev", lambda t, i: self.set_prev(t, new(i), prev[i])),
            ("rcu_assign_pointer(list_next_rcu(prev), new)", lambda t, i: self.set_next(t, prev[i], new(i))),
            ("next->prev = new", lambda t, i: self.set_prev(t, head, new(i))),
        ]
        self._chain(actor, labels, stores, next, func)

    def walk_steps(self, actor: Actor, prefix: str, next: str, visit: Callable[[StepBuilder, int, Expr], None]
                   | None = None, func: str = "include/linux/rculist.h:list_for_each_entry_rcu") -> Expr:
        """A reader walking the list, one ``->next`` load per step: at ``<prefix>_first`` it loads
        ``head->next``; at ``<prefix>_next`` it visits the entry (``visit(t, i, cur)``) and loads its
        ``->next``; it leaves for ``next`` when it is back at the head. Following a poisoned
        pointer is a modelling error (the kernel's fault). Returns the reader's cursor local."""
        first, step = self.walk_labels(prefix)
        cur = actor.local(f"{prefix}_cur", self.ptr, doc=f"{prefix}: the entry the walk stands on")
        head = self.head

        @actor.step(first, func=f"{func}: pos = head->next", next=step)
        def _first(t: StepBuilder, i: int) -> None:
            t.set(cur[i], self.next[head])
            with t.if_(self.next[head] == head):
                t.set(cur[i], 0)  # a dead local is reset (fewer states)
                t.goto(next)

        @actor.step(step, func=f"{func}: pos = pos->next", next=step)
        def _next(t: StepBuilder, i: int) -> None:
            if visit is not None:
                visit(t, i, cur[i])
            nxt = t.let(f"_{self._ident}_{prefix}_nxt", self.next[cur[i]])
            t.set(cur[i], nxt)
            with t.if_(nxt == head):
                t.set(cur[i], 0)
                t.goto(next)

        return cur

    def del_steps(self, actor: Actor, prefix: str, entry: Callable[[int], Any], next: str,
                  init: bool = False, func: str = "include/linux/list.h:list_del") -> None:
        """``list_del(entry(i))`` (``init``: ``list_del_init``) as six atomic steps: the loads of
        ``entry->prev`` and ``entry->next``, the two stores of ``__list_del`` and the two of the entry."""
        labels = self.del_labels(prefix)
        prev = actor.local(f"{prefix}_prev", self.ptr, doc=f"{prefix}: entry->prev as loaded by list_del")
        nxt = actor.local(f"{prefix}_next", self.ptr, doc=f"{prefix}: entry->next as loaded by list_del")
        stores: list[tuple[str, Callable[[StepBuilder, int], None]]] = [
            ("prev = entry->prev", lambda t, i: t.set(prev[i], self.prev[entry(i)])),
            ("next = entry->next", lambda t, i: t.set(nxt[i], self.next[entry(i)])),
            ("next->prev = prev", lambda t, i: self.set_prev(t, nxt[i], prev[i])),
            ("WRITE_ONCE(prev->next, next)", lambda t, i: self.set_next(t, prev[i], nxt[i])),
            ("entry->next = " + ("entry" if init else "LIST_POISON1"),
             lambda t, i: self.set_next(t, entry(i), entry(i) if init else self.POISON1)),
            ("entry->prev = " + ("entry" if init else "LIST_POISON2"),
             lambda t, i: self.set_prev(t, entry(i), entry(i) if init else self.POISON2)),
        ]
        self._chain(actor, labels, stores, next, func)

    @staticmethod
    def _chain(actor: Actor, labels: list[str], stores: list[tuple[str, Callable[[StepBuilder, int], None]]],
               last: str, func: str) -> None:
        for k, (label, (what, store)) in enumerate(zip(labels, stores)):
            succ = labels[k + 1] if k + 1 < len(labels) else last

            def body(t: StepBuilder, i: int, store: Callable[[StepBuilder, int], None] = store) -> None:
                store(t, i)

            actor.step(label, func=f"{func}: {what}", next=succ)(body)

    # ---------------------------------------------------------------- integrity predicates
    def _clamp(self, p: Expr) -> Expr:
        """``p`` as an array index that never leaves the arrays (poison reads as the head): for
        predicates, which must be total; steps index unclamped, so a poison dereference errs."""
        return Expr("ite", (p <= self.head, p, lift(self.head)), Int(0, self.head))

    def _walk(self) -> list[Expr]:
        """``head, head->next, head->next->next, ...``: ``n + 2`` pointers from the head."""
        out: list[Expr] = [lift(self.head, self.ptr)]
        for _ in range(self.n + 1):
            out.append(self.next[self._clamp(out[-1])])
        return out

    def well_formed(self) -> Expr:
        """The pointers form one circular doubly linked list through the head: following ``->next``
        from the head passes only real entries (no poison, no repeat) and comes back to the head,
        and every ``->prev`` on the way points to the entry before it."""
        c = self._walk()
        cases = []
        for k in range(1, self.n + 2):
            inner = [c[j] < self.n for j in range(1, k)]
            back = [self.prev[self._clamp(c[j])] == c[j - 1] for j in range(1, k + 1)]
            cases.append(And(*inner, c[k] == self.head, *back))
        return Or(*cases)

    def on_list(self, x: int) -> Expr:
        """Entry ``x`` is reached from the head by ``->next`` through real entries (its membership,
        as the list encodes it; meaningful where :meth:`well_formed` holds)."""
        c = self._walk()
        return Or(*[And(*[c[j] < self.n for j in range(1, k)], c[k] == x) for k in range(1, self.n + 1)])

    def integrity(self, expected: Callable[[int], Any] | None = None) -> Expr:
        """:meth:`well_formed`, and, given ``expected(x)`` (a condition per entry, e.g. a ghost
        flag the steps that add and delete maintain), the list holds exactly those entries."""
        parts = [self.well_formed()]
        if expected is not None:
            parts += [self.on_list(x) == lift(expected(x)) for x in range(self.n)]
        return And(*parts)
