#!/usr/bin/env bash
# One short check of `prototxt-ls sim` on a machine with an NVIDIA GPU (well under five minutes).
#
#   bash benchmarks/gpu_check.sh
#
# 1. AlexNet (227x227, batch 64) and ResNet-50 (224x224, batch 32), from
#    tests/nets/netbuilder.py with a SoftmaxWithLoss added, timed forward and
#    backward on CUDA per layer (CUDA events), with the roofline estimate for
#    the GPU nvidia-smi names printed beside each measured layer.
# 2. The per-layer timing mode against the bare module (net.forward +
#    loss.backward() as one call, CUDA-synchronized): ratio per-layer / whole.
#    Target: under 1.10.
#
# Installs nothing but `pip install -e '.[sim]'` when torch is missing.
# Environment: ALEXNET_BATCH, RESNET_BATCH, ITERATIONS override the sizes;
# DEVICE=cpu runs the same steps on the CPU (a dry run of this script:
# DEVICE=cpu ALEXNET_BATCH=1 RESNET_BATCH=1 ITERATIONS=1 bash benchmarks/gpu_check.sh, several
# minutes on two cores; its last step, ResNet-50 overhead, may hit its timeout there).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ALEXNET_BATCH="${ALEXNET_BATCH:-64}"
RESNET_BATCH="${RESNET_BATCH:-32}"
ITERATIONS="${ITERATIONS:-20}"
DEVICE="${DEVICE:-cuda}"
export COLUMNS="${COLUMNS:-140}"   # room for the per-layer table

python -c "import torch" 2>/dev/null || pip install -e '.[sim]'
if [ "$DEVICE" = cuda ] && ! python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "gpu_check: PyTorch sees no CUDA device" >&2
    exit 2
fi

GPU_NAME="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || true)"
if [ -z "$GPU_NAME" ]; then
    GPU_NAME="$(python -c "import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else '')")"
fi
ESTIMATE="$(python -c "import sys; from prototxt_ls.sim.estimate import find_gpu; g = find_gpu(sys.argv[1]); print(g.name if g else '')" "$GPU_NAME")"
python -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'cuDNN', torch.backends.cudnn.version())"
echo "GPU: $GPU_NAME -> estimate table entry: ${ESTIMATE:-none (measured times only)}"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python benchmarks/sim_overhead.py --emit "$WORK" --nets alexnet --batch "$ALEXNET_BATCH" --size 227 >/dev/null
python benchmarks/sim_overhead.py --emit "$WORK" --nets resnet50 --batch "$RESNET_BATCH" --size 224 >/dev/null

ESTIMATE_ARGS=()
if [ -n "$ESTIMATE" ]; then
    ESTIMATE_ARGS=(--estimate "$ESTIMATE")
fi

for NET in alexnet resnet50; do
    echo
    echo "=== $NET: per-layer forward/backward on $DEVICE, measured vs estimated ($ITERATIONS iterations) ==="
    START=$(date +%s)
    timeout 150 python -m prototxt_ls sim "$WORK/${NET}_train.prototxt" --device "$DEVICE" \
        --iterations "$ITERATIONS" --warmup 5 --no-color ${ESTIMATE_ARGS[@]+"${ESTIMATE_ARGS[@]}"}
    echo "($NET took $(( $(date +%s) - START )) s including the build)"
done

echo
echo "=== overhead: per-layer timing mode vs the bare module (target ratio < 1.10) ==="
timeout 120 python benchmarks/sim_overhead.py --device "$DEVICE" --nets alexnet --batch "$ALEXNET_BATCH" --size 227 \
    --iterations 10 --warmup 5 --rounds 3 --threads 0
timeout 150 python benchmarks/sim_overhead.py --device "$DEVICE" --nets resnet50 --batch "$RESNET_BATCH" --size 224 \
    --iterations 5 --warmup 3 --rounds 3 --threads 0
