# scaling_model.awk — the alpha-beta model of a ring allreduce against
# compute per step (README "Scaling model"): for each app
# (APPS="name:MB_per_step:compute_ms …") and each interconnect (nominal
# alpha in microseconds and bandwidth in GB/s, assumed, not measured),
# E2 = C / (C + T(2)) and the node count p at which
# T(p) = 2(p-1)·alpha + 2(p-1)/p·n·beta reaches the compute C.
#   awk -v APPS="mlp:0.44:0.297" -f tests/bench/scaling_model.awk
BEGIN {
  nI = split("10GbE:25:1.1 EDR-IB-100G:2:11 HDR-IB-200G:1.5:22", ic, " ")
  nA = split(APPS, ap, " ")
  printf "%-10s %8s %10s", "app", "MB/step", "compute";
  for (i = 1; i <= nI; i++) { split(ic[i], f, ":"); printf " %14s", f[1] } ; printf "\n"
  for (a = 1; a <= nA; a++) {
    split(ap[a], g, ":"); name = g[1]; mb = g[2]; c = g[3]
    printf "%-10s %8.2f %8.3fms", name, mb, c
    for (i = 1; i <= nI; i++) {
      split(ic[i], f, ":"); al = f[2] / 1000; bw = f[3]   # ms, GB/s
      bt = 2 * mb / 1000 / bw * 1000                        # 2 n beta in ms (p large)
      # T(p) = 2(p-1) al + 2 (p-1)/p n beta ; find largest p with T(p) <= C
      p = 1
      while (p < 100000) { q = p + 1; t = 2*(q-1)*al + 2*(q-1)/q*mb/1000/bw*1000; if (t > c) break; p = q }
      e2 = c / (c + 2*al + mb/1000/bw*1000)
      printf " %6s p=%-6s", sprintf("E2=%.2f", e2), (p >= 100000 ? ">1e5" : p)
    }
    printf "\n"
  }
}
