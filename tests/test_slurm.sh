#!/usr/bin/env bash
# test_slurm.sh BUILD_DIR — the slurm/*.sbatch scripts under a real Slurm:
# a private one-node cluster (munged, slurmctld, slurmd started here, all
# state under a temp folder) runs the MPI build's apps as 2 ranks through
# sbatch and srun, checks their output, checkpoints and rank placement, a
# failing rank ending the job, and then stops every daemon it started.
#
#   bash tests/test_slurm.sh build/release-mpi      (as root; scons mpi=1 first)
#
# Installs slurm-wlm and munge with apt-get when they are missing. Prints
# "test_slurm: skipped (REASON)" and exits 0 only when the daemons cannot
# start (not root, a container without what munged/slurmd need); any other
# failure exits non-zero with the job's output.
set -euo pipefail
build=${1:?usage: tests/test_slurm.sh BUILD_DIR (an MPI build: scons mpi=1)}
build=$(realpath "$build")
repo=$(realpath "$(dirname "$0")/..")
data=$(realpath -m "${MX_TEST_DATA:-$repo/data/mnist}")
text=${MX_TEST_TEXT:-}
for t in /work/shared/data/tinyshakespeare/input.txt "$repo/data/tinyshakespeare/input.txt" \
    /usr/share/common-licenses/GPL-3; do
    if [ -z "$text" ] && [ -f "$t" ]; then text=$t; fi
done
job_bound=${MX_SLURM_JOB_BOUND:-180} # seconds a job may take before it counts as hung
fail_bound=60                        # seconds a job with a failing rank may take to end
t0=$SECONDS
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; if [ -n "${2:-}" ]; then sed 's/^/       /' <<<"$2"; fi; }
skip() { echo "  skipped: $1"; echo "test_slurm: skipped ($1)"; exit 0; }

echo "slurm tests: $build"
# A Slurm job around this test (CI inside Slurm) must not leak into ours.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SRUN|SALLOC)_' || true)

# --- prerequisites: the build, the data, Slurm and munge -------------------
for app in mnist_mlp mnist_lenet char_lstm; do
    if [ ! -x "$build/$app" ]; then echo "FAIL: $build/$app missing (build with scons mpi=1)"; exit 1; fi
done
# A plain build answers --kvstore dist_sync with "this build has no MPI".
if "$build/mnist_mlp" --kvstore dist_sync --data-dir /nonexistent 2>&1 | grep -q "has no MPI"; then
    echo "FAIL: $build is not an MPI build (scons mpi=1)"
    exit 1
fi
if [ ! -f "$data/train-images-idx3-ubyte" ] && [ ! -f "$data/train-images-idx3-ubyte.gz" ]; then
    echo "FAIL: MNIST not found in $data (set MX_TEST_DATA)"
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then skip "not root: this test starts its own slurmctld, slurmd and munged"; fi
# slurm-wlm brings slurmctld, slurmd, the clients and the PMIx plugin;
# openmpi-bin the mpirun that the LAUNCHER=mpirun jobs use.
pkgs=()
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null ||
    ! ls /usr/lib/*/slurm-wlm/mpi_pmix.so >/dev/null 2>&1; then pkgs+=(slurm-wlm); fi
if ! command -v munged >/dev/null || ! command -v unmunge >/dev/null; then pkgs+=(munge); fi
if ! command -v mpirun >/dev/null; then pkgs+=(openmpi-bin); fi
if [ ${#pkgs[@]} -eq 0 ]; then
    echo "  (slurm-wlm, munge and mpirun present: no apt-get)"
else
    echo "  installing ${pkgs[*]} with apt-get"
    apt_log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${pkgs[@]}"; } >"$apt_log" 2>&1; then
        echo "FAIL: apt-get install ${pkgs[*]} failed:"
        tail -n 20 "$apt_log"
        rm -f "$apt_log"
        exit 1
    fi
    rm -f "$apt_log"
fi

# --- a private cluster under a temp folder ---------------------------------
tmp=$(mktemp -d /tmp/test_slurm.XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp"/{munge,state,spool,log,run,submit,bin}
chmod 711 "$tmp/munge" # munged wants its socket folder closed to writes, open to lookups
host=$(hostname -s)
ncpu=$(nproc)
# The jobs are 2 ranks x 1 CPU: a 1-CPU machine claims 2 (config_overrides
# makes slurmd report the configured count instead of refusing the node).
node_cpus=$((ncpu < 2 ? 2 : ncpu))
overrides=''
if [ "$ncpu" -lt 2 ]; then overrides=SlurmdParameters=config_overrides; fi
conf=$tmp/slurm.conf
export SLURM_CONF=$conf # sbatch, srun, sinfo, scontrol (and the jobs' srun) read this
munged_pid='' ctld_pid='' slurmd_pid=''

# Free ports for slurmctld and slurmd (a real Slurm may hold 6817/6818).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ctld_port=16817
while port_busy "$ctld_port" || port_busy $((ctld_port + 1)); do ctld_port=$((ctld_port + 2)); done
slurmd_port=$((ctld_port + 1))

stop_pid() { # stop_pid PID: TERM, up to 15 s, then KILL
    local pid=$1 i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
}
# Processes still holding a file under $tmp (a job step's slurmstepd or an
# app rank): only ever ones this test started.
holders() {
    local p pid fd
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
        for fd in "$p/cwd" "$p"/fd/*; do
            if [[ "$(readlink "$fd" 2>/dev/null)" == "$tmp"* ]]; then echo "$pid"; break; fi
        done
    done
}
cleanup() {
    local rc=$? ids=() i left=()
    set +e
    if [ -n "$ctld_pid" ] && kill -0 "$ctld_pid" 2>/dev/null; then
        # jobs first, so their steps (slurmstepd, ranks) end under slurmd
        mapfile -t ids < <(timeout 10 squeue -h -o %i 2>/dev/null)
        [ ${#ids[@]} -gt 0 ] && timeout 10 scancel "${ids[@]}" 2>/dev/null
        for ((i = 0; i < 50; i++)); do [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.2; done
    fi
    stop_pid "$slurmd_pid"
    stop_pid "$ctld_pid"
    stop_pid "$munged_pid"
    mapfile -t left < <(holders)
    if [ ${#left[@]} -gt 0 ]; then
        echo "  FAIL processes left running: ${left[*]} ($(ps -o comm= -p "$(IFS=,; echo "${left[*]}")" | tr '\n' ' '))"
        kill -KILL "${left[@]}" 2>/dev/null
        rc=1
    fi
    for p in "$ctld_port" "$slurmd_port"; do
        if port_busy "$p"; then echo "  FAIL port $p still open after the daemons stopped"; rc=1; fi
    done
    if [ "$rc" -ne 0 ] && [ -d "$tmp/log" ] && [ "${shown_logs:-0}" = 0 ]; then
        for f in "$tmp"/log/*.log; do [ -f "$f" ] && { echo "  --- tail of $f"; tail -n 15 "$f" | sed 's/^/       /'; }; done
    fi
    if [ -n "${MX_SLURM_KEEP:-}" ]; then echo "  (kept $tmp)"; else rm -rf "$tmp"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# why DAEMON: the last lines it wrote (its stderr, then its log), on one line
why() { cat "$tmp/log/$1.out" "$tmp/log/$1.log" 2>/dev/null | grep -v '^\s*$' | tail -n 3 | tr '\n' ' '; }

# munged: a private key, socket and pid file, so a system munge (if any)
# is left alone; slurm.conf's AuthInfo points Slurm at this socket.
sock=$tmp/munge/munge.socket.2
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1 count=1024 status=none
chmod 400 "$tmp/munge/munge.key"
# --force: run as root; -F: stay in the foreground, so $! is its PID.
munged -F --force -S "$sock" --key-file="$tmp/munge/munge.key" --pid-file="$tmp/munge/munged.pid" \
    --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/munged.seed" >"$tmp/log/munged.out" 2>&1 &
munged_pid=$!
for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && break; kill -0 "$munged_pid" 2>/dev/null || break; sleep 0.2; done
if ! munge -S "$sock" -n 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1; then
    skip "munged cannot start here: $(why munged)"
fi

cat >"$conf" <<EOF
# One-node test cluster written by tests/test_slurm.sh; everything lives in $tmp.
ClusterName=mxrttest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
PlugStackConfig=$tmp/plugstack.conf
MailProg=/bin/true
# No cgroups (containers and CI machines often lack a writable cgroup tree):
# processes are tracked by /proc, tasks are not confined by Slurm.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=600
$overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=$node_cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
: >"$tmp/plugstack.conf"

# -D: foreground, so $! is the daemon's PID; -i: ignore (absent) old state.
slurmctld -D -i -f "$conf" >"$tmp/log/slurmctld.out" 2>&1 &
ctld_pid=$!
for ((i = 0; i < 100; i++)); do
    scontrol ping 2>/dev/null | grep -q "is UP" && break
    kill -0 "$ctld_pid" 2>/dev/null || break
    sleep 0.2
done
if ! scontrol ping 2>/dev/null | grep -q "is UP"; then
    skip "slurmctld cannot start here: $(why slurmctld)"
fi
slurmd -D -N "$host" -f "$conf" >"$tmp/log/slurmd.out" 2>&1 &
slurmd_pid=$!
state=
for ((i = 0; i < 150; i++)); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    kill -0 "$slurmd_pid" 2>/dev/null || break
    sleep 0.2
done
if [ "$state" != idle ]; then
    skip "slurmd cannot start here (node state '${state:-none}'): $(why slurmd)"
fi
ok "one-node cluster up: $host, $ncpu CPUs, ports $ctld_port/$slurmd_port ($((SECONDS - t0)) s)"

# --- helpers ----------------------------------------------------------------
# submit SBATCH_ARGS... -- ENV=VALUE...: sbatch from $tmp/submit with the
# environment overrides; prints the job id, or sbatch's error when refused
# (wait_job then reports it).
submit() {
    local sargs=() envs=() out
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    envs=("$@")
    out=$(cd "$tmp/submit" && env "${envs[@]}" sbatch --parsable "${sargs[@]}" 2>&1) || true
    echo "${out%%;*}"
}
# wait_job ID BOUND: sets job_state, job_exit, job_secs; 1 if over BOUND
# (then cancelled) or if there is no job
wait_job() {
    local id=$1 bound=$2 start=$SECONDS line
    job_exit='' job_secs=0
    if ! [[ $id =~ ^[0-9]+$ ]]; then job_state="not submitted: sbatch said: $id"; return 1; fi
    while :; do
        line=$(timeout 10 scontrol show job -o "$id" 2>/dev/null || true)
        job_state=$(grep -oE 'JobState=[A-Z_]+' <<<"$line" | cut -d= -f2 || true)
        job_exit=$(grep -oE ' ExitCode=[0-9]+:[0-9]+' <<<"$line" | cut -d= -f2 || true)
        job_secs=$((SECONDS - start))
        case $job_state in
        COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) return 0 ;;
        esac
        if [ "$job_secs" -ge "$bound" ]; then
            timeout 10 scancel "$id" 2>/dev/null || true
            job_state="job $id still ${job_state:-unknown} after ${bound}s (cancelled)"
            return 1
        fi
        sleep 0.5
    done
}
# check_ranks NAME OUTPUT THREADS: both ranks printed their placement, with
# THREADS threads each, pinned to different CPUs.
check_ranks() {
    local name=$1 out=$2 threads=$3 lines cpus
    lines=$(grep -E '^INFO: rank [01]/2 on ' <<<"$out" || true)
    if [ "$(grep -c . <<<"$lines")" -ne 2 ] || ! grep -q 'rank 0/2' <<<"$lines" || ! grep -q 'rank 1/2' <<<"$lines"; then
        bad "$name: both ranks report their placement" "$out"
        return
    fi
    if [ "$(grep -cE ": $threads threads?, " <<<"$lines")" -ne 2 ]; then
        bad "$name: each rank runs $threads thread(s) (SLURM_CPUS_PER_TASK)" "$lines"
        return
    fi
    cpus=$(grep -oE 'pinned to cpus? [0-9,]+' <<<"$lines" | awk '{print $NF}' | sort -u | wc -l)
    if [ "$ncpu" -lt 2 ]; then ok "$name: ranks 0 and 1 placed, $threads thread(s) each (1 CPU: cores shared)"; return; fi
    if [ "$cpus" -ne 2 ]; then bad "$name: ranks pinned to different cores" "$lines"; return; fi
    ok "$name: ranks 0 and 1 placed, $threads thread(s) each, on different cores"
}
# check_epochs NAME OUTPUT EPOCHS: rank 0 alone logs, so each epoch once.
check_epochs() {
    local name=$1 out=$2 epochs=$3 want got
    want=$(for ((e = 1; e <= epochs; e++)); do printf 'INFO: == Epoch %03d/%03d ==========\n' "$e" "$epochs"; done)
    got=$(grep -E '^INFO: == Epoch ' <<<"$out" || true)
    if [ "$got" = "$want" ]; then ok "$name: $epochs epoch lines, once each (rank 0 alone logs)"; else bad "$name: epoch lines" "$out"; fi
}
# check_accuracy NAME OUTPUT MIN
check_accuracy() {
    local name=$1 out=$2 min=$3 acc
    # the app's own lines: the sbatch scripts' summary repeats the final line
    acc=$(sed '/^== summary: /,$d' <<<"$out" | grep -E '^final validation accuracy = ' | awk '{print $NF}' || true)
    if [ "$(grep -c . <<<"$acc")" -ne 1 ]; then bad "$name: one final accuracy line" "$out"; return; fi
    if awk -v a="$acc" -v m="$min" 'BEGIN { exit !(a > m) }'; then ok "$name: final validation accuracy $acc > $min"
    else bad "$name: final validation accuracy $acc <= $min" "$out"; fi
}
# job_output NAME ID: the job's --output file from the submit directory
job_output() { cat "$tmp/submit/$1-$2.out" 2>/dev/null || echo "(no $tmp/submit/$1-$2.out)"; }
# check_job NAME ID: the job ended COMPLETED with exit 0 within the bound
check_job() {
    local name=$1 id=$2
    if ! wait_job "$id" "$job_bound"; then bad "$name: $job_state" "$(job_output "$name" "$id")"; return 1; fi
    if [ "$job_state" != COMPLETED ] || [ "$job_exit" != 0:0 ]; then
        bad "$name: job $id $job_state, exit $job_exit" "$(job_output "$name" "$id")"
        return 1
    fi
    ok "$name: job $id COMPLETED in ${job_secs} s"
}

mlp_env=(EPOCHS=2 LIMIT=20000 "EXTRA_ARGS=--init xavier" "MXRT_BIN=$build/mnist_mlp" "DATA_DIR=$data")
small=(--ntasks=2 --cpus-per-task=1)

# --- 1. srun -n 2 directly ------------------------------------------------
mkdir -p "$tmp/submit/srun"
rc=0
out=$(cd "$tmp/submit/srun" && timeout "$job_bound" srun --mpi=pmix -n 2 --cpus-per-task=1 --kill-on-bad-exit=1 \
    "$build/mnist_mlp" --kvstore dist_sync --threads 1 --data-dir "$data" --limit 20000 --epochs 2 --init xavier \
    --checkpoint mlp 2>&1) || rc=$?
if [ "$rc" -eq 0 ]; then ok "srun --mpi=pmix -n 2 mnist_mlp exits 0"; else bad "srun --mpi=pmix -n 2 mnist_mlp exit $rc" "$out"; fi
check_ranks "srun" "$out" 1
check_epochs "srun" "$out" 2
check_accuracy "srun" "$out" 0.8
if [ -f "$tmp/submit/srun/mlp-0002.params" ] && [ -f "$tmp/submit/srun/mlp-symbol.json" ]; then
    ok "srun: rank 0 wrote mlp-0002.params in the working directory"
else
    bad "srun: no checkpoint in $tmp/submit/srun" "$(ls -l "$tmp/submit/srun")"
fi

# --- 2. sbatch slurm/mnist_mlp_cpu.sbatch ------------------------------------
name=mnist_mlp_cpu
id=$(submit "${small[@]}" "$repo/slurm/$name.sbatch" -- "${mlp_env[@]}")
if check_job "$name" "$id"; then
    out=$(job_output "$name" "$id")
    check_ranks "$name" "$out" 1
    check_epochs "$name" "$out" 2
    check_accuracy "$name" "$out" 0.8
    n=$(grep -c "^INFO: Saved checkpoint to '$tmp/submit/$name-$id-000[12].params'" <<<"$out" || true)
    if [ -f "$tmp/submit/$name-$id-0002.params" ] && [ -f "$tmp/submit/$name-$id-symbol.json" ] && [ "$n" -eq 2 ]; then
        ok "$name: checkpoints $name-$id-0001/0002.params in the submit directory, saved once each"
    else
        bad "$name: checkpoints in the submit directory" "$(ls -l "$tmp/submit"; echo "$out")"
    fi
    if sed -n '/^== summary: /,$p' <<<"$out" | grep -qE '^final validation accuracy = 0\.[0-9]+$' &&
        grep -qE '^== summary: job [0-9]+, [0-9]+ s, exit 0$' <<<"$out" &&
        grep -qxF "checkpoint: $tmp/submit/$name-$id-0002.params" <<<"$out"; then
        ok "$name: summary names the final accuracy and the last checkpoint"
    else
        bad "$name: summary" "$out"
    fi
fi

# --- 3. the same script with LAUNCHER=mpirun (mpirun inside sbatch) ---------
id=$(submit "${small[@]}" --job-name=mlp_mpirun "$repo/slurm/$name.sbatch" -- "${mlp_env[@]}" LAUNCHER=mpirun \
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
if check_job "mlp_mpirun (LAUNCHER=mpirun)" "$id"; then
    out=$(job_output mlp_mpirun "$id")
    check_ranks "mlp_mpirun" "$out" 1
    check_epochs "mlp_mpirun" "$out" 2
    check_accuracy "mlp_mpirun" "$out" 0.8
    if grep -q $'\r' <<<"$out"; then bad "mlp_mpirun: progress line (\\r) in the .out file" "$(cat -A <<<"$out")"; fi
fi

# --- 4. char_lstm_multinode.sbatch on this one node: 2 ranks ----------------
name=char_lstm
id=$(submit --nodes=1 --ntasks=2 --ntasks-per-node=2 --cpus-per-task=1 "$repo/slurm/char_lstm_multinode.sbatch" -- \
    "MXRT_BIN=$build/char_lstm" "TEXT=$text" EPOCHS=2 LIMIT_CHARS=100000 NUM_HIDDEN=64 NUM_EMBED=32 NUM_LAYERS=1)
if check_job "$name (char_lstm_multinode.sbatch, --nodes=1)" "$id"; then
    out=$(job_output "$name" "$id")
    check_ranks "$name" "$out" 1
    check_epochs "$name" "$out" 2
    if grep -qE '^final training NLL = [0-9.]+$' <<<"$out" && grep -qE '^final validation perplexity = [0-9.]+$' <<<"$out"; then
        ok "$name: final NLL and perplexity lines"
    else
        bad "$name: final figures" "$out"
    fi
    if [ -f "$tmp/submit/$name-$id-0002.params" ] && [ -f "$tmp/submit/$name-$id-vocab" ]; then
        ok "$name: checkpoint and vocabulary in the submit directory"
    else
        bad "$name: checkpoint files" "$(ls -l "$tmp/submit")"
    fi
fi

# The same through mpirun (ppr:2:node here: --ntasks-per-node=2).
id=$(submit --nodes=1 --ntasks=2 --ntasks-per-node=2 --cpus-per-task=1 --job-name=lstm_mpirun \
    "$repo/slurm/char_lstm_multinode.sbatch" -- "MXRT_BIN=$build/char_lstm" "TEXT=$text" EPOCHS=1 \
    LIMIT_CHARS=50000 NUM_HIDDEN=32 NUM_EMBED=16 NUM_LAYERS=1 LAUNCHER=mpirun \
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
if check_job "lstm_mpirun (char_lstm_multinode.sbatch, LAUNCHER=mpirun)" "$id"; then
    out=$(job_output lstm_mpirun "$id")
    check_ranks "lstm_mpirun" "$out" 1
    check_epochs "lstm_mpirun" "$out" 1
fi
# Without --cpus-per-task (the script's own #SBATCH lines: --exclusive, one
# rank per node) each rank takes all the node's CPUs.
out=$(env -i PATH="$PATH" DRY_RUN=1 SLURM_SUBMIT_DIR=/sub SLURM_JOB_ID=8 SLURM_JOB_NAME=char_lstm SLURM_CPUS_ON_NODE=32 \
    SLURM_NTASKS_PER_NODE=1 SLURM_NTASKS=2 bash -u "$repo/slurm/char_lstm_multinode.sbatch" 2>&1) || true
if grep -qE '^command: srun --mpi=pmix --kill-on-bad-exit=1 --cpus-per-task=32 /sub/build/release-mpi/char_lstm train --kvstore dist_sync --threads 32 ' <<<"$out"; then
    ok "char_lstm_multinode.sbatch: one rank per node gets the node's 32 CPUs as threads"
else
    bad "char_lstm_multinode.sbatch: dry run" "$out"
fi

# --- 5. a rank that fails ends the job -------------------------------------
# Rank 1 gets a data folder that does not exist (the wrapper appends a later
# --data-dir, which wins); rank 0 would wait in its first allreduce forever
# if the failure did not end the job.
missing=$tmp/missing/mnist
cat >"$tmp/bin/rank1_missing" <<EOF
#!/bin/sh
# (mpirun inside a job: every rank inherits the batch step's SLURM_PROCID=0)
if [ "\${OMPI_COMM_WORLD_RANK:-\${SLURM_PROCID:-0}}" = 1 ]; then exec "$build/mnist_mlp" "\$@" --data-dir "$missing"; fi
exec "$build/mnist_mlp" "\$@"
EOF
chmod +x "$tmp/bin/rank1_missing"
for launcher in srun mpirun; do
    name=fail_$launcher
    id=$(submit "${small[@]}" --job-name=$name "$repo/slurm/mnist_mlp_cpu.sbatch" -- "${mlp_env[@]}" \
        "MXRT_BIN=$tmp/bin/rank1_missing" LAUNCHER=$launcher OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
    if ! wait_job "$id" "$fail_bound"; then
        bad "$name: a failing rank ends the job within ${fail_bound} s: $job_state" "$(job_output $name "$id")"
        continue
    fi
    out=$(job_output $name "$id")
    if [ "$job_state" = COMPLETED ] || [ "$job_exit" = 0:0 ]; then
        bad "$name: job with a failing rank $job_state, exit $job_exit" "$out"
    else
        ok "$name: job with a failing rank (LAUNCHER=$launcher) ends $job_state (exit $job_exit) in ${job_secs} s"
    fi
    if grep -qF "$missing/train-images-idx3-ubyte" <<<"$out" && grep -q "^FAILED: $launcher exited" <<<"$out"; then
        ok "$name: output names the missing file, summary says FAILED"
    else
        bad "$name: output lacks the missing file's name or the FAILED summary" "$out"
    fi
done

# --- 6. the GPU script: syntax, #SBATCH lines, variables -------------------
gpu=$repo/slurm/mnist_lenet_gpu.sbatch
if bash -n "$gpu"; then ok "mnist_lenet_gpu.sbatch: bash -n"; else bad "mnist_lenet_gpu.sbatch: bash -n"; fi
if grep -qE '^#SBATCH --gres=gpu:[0-9]+' "$gpu" && grep -qE '^#SBATCH --ntasks-per-node=' "$gpu"; then
    ok "mnist_lenet_gpu.sbatch: #SBATCH --gres=gpu:N and --ntasks-per-node"
else
    bad "mnist_lenet_gpu.sbatch: #SBATCH lines" "$(grep '^#SBATCH' "$gpu")"
fi
out=$(env -i PATH="$PATH" DRY_RUN=1 SLURM_SUBMIT_DIR=/sub SLURM_JOB_ID=7 SLURM_JOB_NAME=mnist_lenet_gpu \
    SLURM_CPUS_PER_TASK=4 SLURM_NTASKS=2 bash -u "$gpu" 2>&1) || true
want="srun --mpi=pmix --kill-on-bad-exit=1 --cpus-per-task=4 bash -c <pick_gpu> rank /sub/build/release-cuda-mpi/mnist_lenet --kvstore dist_sync --context gpu:0 --threads 4 --data-dir /sub/data/mnist --epochs 20 --limit 0 --batch-size 100 --checkpoint /sub/mnist_lenet_gpu-7"
if grep -qxF "command: $want" <<<"$out"; then
    ok "mnist_lenet_gpu.sbatch: defaults (release-cuda-mpi, gpu:0, threads = SLURM_CPUS_PER_TASK, submit dir)"
else
    bad "mnist_lenet_gpu.sbatch: dry run" "$out"
fi
out=$(env -i PATH="$PATH" DRY_RUN=1 SLURM_SUBMIT_DIR=/sub MXRT_BIN=/b/lenet DATA_DIR=/d EPOCHS=3 "EXTRA_ARGS=--lr 0.1" \
    bash -u "$gpu" 2>&1) || true
if grep -qE '^command: .* /b/lenet .*--data-dir /d --epochs 3 .* --lr 0\.1$' <<<"$out"; then
    ok "mnist_lenet_gpu.sbatch: MXRT_BIN, DATA_DIR, EPOCHS, EXTRA_ARGS override"
else
    bad "mnist_lenet_gpu.sbatch: overrides" "$out"
fi
# Run for real with its own --context gpu:0 on host stand-in GPUs
# (MX_TEST_STAND_IN_GPUS, builds without cuda=1): 2 ranks, 2 made-up GPUs
# for the per-rank pick.
name=lenet_gpu_on_cpu
id=$(submit "${small[@]}" --gres=none --job-name=$name "$gpu" -- "MXRT_BIN=$build/mnist_lenet" "DATA_DIR=$data" \
    MX_TEST_STAND_IN_GPUS=1 CUDA_VISIBLE_DEVICES=0,1 EPOCHS=1 LIMIT=2000 "EXTRA_ARGS=--init xavier")
if check_job "$name (mnist_lenet_gpu.sbatch, gpu:0 on stand-ins)" "$id"; then
    out=$(job_output $name "$id")
    if grep -qxF "rank 0 on $host: CUDA_VISIBLE_DEVICES=0" <<<"$out" && grep -qxF "rank 1 on $host: CUDA_VISIBLE_DEVICES=1" <<<"$out"; then
        ok "$name: each rank keeps one GPU (local rank 0 -> 0, 1 -> 1)"
    else
        bad "$name: per-rank CUDA_VISIBLE_DEVICES" "$out"
    fi
    if [ "$(grep -c 'host stand-ins' <<<"$out")" -ge 2 ] && grep -q 'on \[GPU0\]' <<<"$out"; then
        ok "$name: both ranks trained on gpu:0 (stand-ins)"
    else
        bad "$name: gpu:0 on stand-ins" "$(tail -5 <<<"$out")"
    fi
    check_epochs "$name" "$out" 1
fi

# --- 7. every script: syntax, each #SBATCH line explained -------------------
for s in "$repo"/slurm/*.sbatch; do
    if ! bash -n "$s"; then bad "$(basename "$s"): bash -n"; continue; fi
    unexplained=$(awk '/^##?SBATCH/ { getline nxt; if (nxt !~ /^#     /) print FNR": "$0 }' "$s")
    if [ -z "$unexplained" ]; then ok "$(basename "$s"): bash -n, every #SBATCH line has its comment"
    else bad "$(basename "$s"): #SBATCH lines without a comment" "$unexplained"; fi
done

echo "slurm tests: $pass passed, $fail failed ($((SECONDS - t0)) s)"
if [ "$fail" -ne 0 ]; then
    shown_logs=1
    for f in "$tmp"/log/*.log; do echo "  --- tail of $f"; tail -n 15 "$f" | sed 's/^/       /'; done
    exit 1
fi
