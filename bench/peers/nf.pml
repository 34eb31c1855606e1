/* NF(N, P, B) in Promela: the same model as spec/bench_nf.py (issue 8's speed benchmark).

   Build:  spin -DN=5 -DP=4 -DB=2 -a nf.pml && gcc -O2 -DSAFETY [-DBFS] -o pan pan.c && ./pan -m1000
   (bench/run.py does this). One process; each atomic action is one d_step branch of one
   do-loop, so SPIN stores exactly one state per model state: the stored state vector is
   pending[], irq_on[], sched[], the queue q[] (unused tail slots kept 0) and its length.
   Arrays are sized N; the branches written for ids >= N are guarded by i < N and never run.
   Scratch variables are reset to 0 at the end of every step, so they never tell states apart
   (they cannot be `hidden`: SPIN's BFS mode refuses hidden variables).
   The invariants are asserted at the end of every step (SPIN's usual way with one process).
   -DBUG gives the `bug` variant (Poll forgets to clear sched[i] when it completes). */

#ifndef N
#define N 3
#endif
#ifndef P
#define P 3
#endif
#ifndef B
#define B 2
#endif
#define MAXN N   /* branches for i >= N are never enabled */

byte pending[MAXN];
bool irq_on[MAXN] = true;
bool sched[MAXN];
byte q[MAXN];
byte qlen;

byte cur;   /* scratch: always 0 between steps */
byte w;
byte j;
byte seen_in_q[MAXN];

/* NoDoubleQueue, SchedIffQueued, NoLostWakeup */
#define CHECK \
    j = 0; do :: j < qlen -> seen_in_q[q[j]]++; j++ :: else -> break od; \
    j = 0; do :: j < N -> \
        assert(seen_in_q[j] <= 1); \
        assert(sched[j] == (seen_in_q[j] > 0)); \
        assert(pending[j] == 0 || irq_on[j] || sched[j]); \
        seen_in_q[j] = 0; j++ \
    :: else -> break od; j = 0

#define ARRIVE(i) :: d_step { (i < N && pending[i] < P) -> pending[i]++; CHECK }

#define IRQ(i) :: d_step { (i < N && irq_on[i] && pending[i] > 0) -> \
    irq_on[i] = false; \
    if :: !sched[i] -> sched[i] = true; q[qlen] = i; qlen++ :: else -> skip fi; CHECK }

#ifdef BUG
#define COMPLETE(c) irq_on[c] = true
#else
#define COMPLETE(c) sched[c] = false; irq_on[c] = true
#endif

init {
    do
    ARRIVE(0) ARRIVE(1) ARRIVE(2) ARRIVE(3) ARRIVE(4) ARRIVE(5) ARRIVE(6) ARRIVE(7)
    IRQ(0) IRQ(1) IRQ(2) IRQ(3) IRQ(4) IRQ(5) IRQ(6) IRQ(7)
    :: d_step { qlen > 0 ->
        cur = q[0];
        j = 0; do :: j + 1 < qlen -> q[j] = q[j + 1]; j++ :: else -> break od;
        q[qlen - 1] = 0; qlen--;
        if :: pending[cur] < B -> w = pending[cur] :: else -> w = B fi;
        pending[cur] = pending[cur] - w;
        if :: w == B -> q[qlen] = cur; qlen++
           :: else -> COMPLETE(cur)
        fi;
        cur = 0; w = 0; j = 0;
        CHECK }
    od
}
