"""'Show as PyTorch code': a standalone torch/torchvision script, in the lesson's style, for a RunConfig.

The script keeps the two things that make its run the app's run: the initial weights come
from one torch.Generator seeded with the seed, layer by layer (lab.engine.models.initialise), and
the batch order from another, one permutation per epoch with the last partial batch dropped
(lab.engine.train). So its first printed cost equals the app's first logged loss.
"""

from __future__ import annotations

import inspect

import lab.engine.augment as augment_module
from lab.engine.config import RunConfig
from lab.engine.models import SparseInputLinear
from lab.engine.optim_table import OPTIMIZERS, optimizer_kwargs

ACTIVATION_CODE = {"sigmoid": "torch.nn.Sigmoid()", "tanh": "torch.nn.Tanh()", "relu": "torch.nn.ReLU()",
                   "elu": "torch.nn.ELU()", "gelu": "torch.nn.GELU()", "silu": "torch.nn.SiLU()"}


def _module_functions(module) -> list[str]:
    """Source of every function defined in module, in file order (random_affine and its helpers)."""
    funcs = [f for f in vars(module).values() if inspect.isfunction(f) and f.__module__ == module.__name__]
    return [inspect.getsource(f) for f in sorted(funcs, key=lambda f: f.__code__.co_firstlineno)]


def _init_call(init: str, activation: str, target: str) -> str:
    """The torch.nn.init line that lab.engine.models.initialise uses for this scheme."""
    if init == "default":  # what nn.Linear.reset_parameters does
        return f"torch.nn.init.kaiming_uniform_({target}, a=math.sqrt(5), generator=gen)"
    if init == "normal":  # the lesson's torch.nn.init.normal_: std 1
        return f"torch.nn.init.normal_({target}, generator=gen)"
    if init == "xavier":
        return f"torch.nn.init.xavier_uniform_({target}, generator=gen)"
    gain = activation if activation in ("relu", "leaky_relu") else "linear"
    return f"torch.nn.init.kaiming_normal_({target}, nonlinearity={gain!r}, generator=gen)"


def _optimizer_args(name: str, opt_params: dict) -> str:
    """Keyword arguments of the torch optimizer that differ from torch's own defaults."""
    spec = OPTIMIZERS[name]
    torch_defaults = {k: p.default for k, p in inspect.signature(spec.torch_class).parameters.items()}
    kwargs = optimizer_kwargs(name, 0.0, opt_params)
    kwargs.pop("lr")
    parts = ["lr=learning_rate"] + [f"{k}={v!r}" for k, v in kwargs.items() if torch_defaults.get(k) != v]
    return ", ".join(parts)


def pytorch_script(config: RunConfig, label: str = "") -> str:
    """The whole script as text; run it with --root pointing at torchvision's MNIST folder."""
    cfg = config
    sizes = [784] + [cfg.width] * cfg.depth + [10]
    n_layers = len(sizes) - 1
    names = ["linear"] if n_layers == 1 else [f"linear{i + 1}" for i in range(n_layers)]
    act_name = cfg.activation
    act_code = (f"torch.nn.LeakyReLU({cfg.leaky_slope!r})" if act_name == "leaky_relu"
                else ACTIVATION_CODE[act_name])
    sparse = cfg.optimizer == "sparseadam"
    lines: list[str] = []
    add = lines.append
    title = f"ReLU Lab run {label}" if label else "A ReLU Lab run"
    add(f'"""{title} as a standalone PyTorch script (모두를 위한 딥러닝 시즌2, lab-10 style).')
    add("")
    add(f"Config: {cfg.to_json()}")
    add("The same seed gives the same initial weights and batch order as in ReLU Lab, so the")
    add("first cost printed here is the app's first logged loss.")
    add('"""')
    add("import argparse\nimport math\n\nimport torch")
    if cfg.augment:
        add("import torch.nn.functional as F")
    if sparse:
        add("from torch import nn")
    add("import torchvision.datasets as dsets\nimport torchvision.transforms as transforms\n")
    add('parser = argparse.ArgumentParser(description="Train an MLP on MNIST (ReLU Lab export).")')
    add('parser.add_argument("--root", default="MNIST_data/", help="torchvision MNIST folder")')
    add('parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps")')
    add('parser.add_argument("--no-download", action="store_true", help="never download MNIST")')
    add("args = parser.parse_args()\n")
    if cfg.device == "auto":
        add("device = 'cuda' if torch.cuda.is_available() else 'cpu'")
    else:
        add(f"device = {cfg.device!r}")
    add(f"\n# for reproducibility\ntorch.manual_seed({cfg.seed})\nif device == 'cuda':\n"
        f"    torch.cuda.manual_seed_all({cfg.seed})\n")
    add(f"# parameters\nlearning_rate = {cfg.effective_lr!r}\ntraining_epochs = {cfg.epochs}\n"
        f"batch_size = {cfg.batch_size}\n")
    add("# MNIST dataset")
    for split, flag in (("train", "True"), ("test", "False")):
        add(f"mnist_{split} = dsets.MNIST(root=args.root, train={flag}, transform=transforms.ToTensor(),\n"
            f"                          download=not args.no_download)")
    add("\n# All training images as one tensor, pixels / 255 as ToTensor gives: (N, 784)")
    add("X_train = mnist_train.data.view(-1, 28 * 28).float() / 255\nY_train = mnist_train.targets")
    if cfg.train_subset:
        n = cfg.train_subset
        add(f"X_train, Y_train = X_train[:{n}], Y_train[:{n}]  # the first N images only")
    add("batch_size = min(batch_size, len(X_train))")
    if sparse:
        add("\n\n# SparseAdam needs sparse gradients: the first layer is an embedding-bag over the lit")
        add("# pixels (the same arithmetic as Linear); SparseAdam trains it, Adam the other layers.")
        add(inspect.getsource(SparseInputLinear))
    if cfg.augment:
        add("\n# Random shifts, rotations and scaling of each batch, as ReLU Lab's augment switch")
        add("\n\n".join(_module_functions(augment_module)))
    add("\n# nn layers")
    for i, name in enumerate(names):
        cls = "SparseInputLinear" if sparse and i == 0 else "torch.nn.Linear"
        bias = "" if cls == "SparseInputLinear" else ", bias=True"
        add(f"{name} = {cls}({sizes[i]}, {sizes[i + 1]}{bias})")
    if cfg.depth:
        add(f"{act_name} = {act_code}")
    add("\n# initialization: one generator seeded with the seed, drawn layer by layer")
    add(f"gen = torch.Generator().manual_seed({cfg.seed})")
    add(f"for linear in [{', '.join(names)}]:")
    if sparse:  # draw (out, in) like a Linear weight; the bag stores its transpose
        add("    w = torch.empty(linear.out_features, linear.in_features)")
        add(f"    {_init_call(cfg.init, act_name, 'w')}")
        add("    with torch.no_grad():")
        add("        (linear.bag.weight if hasattr(linear, 'bag') else linear.weight).copy_(")
        add("            w.t() if hasattr(linear, 'bag') else w)")
    else:
        add(f"    {_init_call(cfg.init, act_name, 'linear.weight')}")
    add("    bound = 1 / math.sqrt(linear.in_features)")
    add("    torch.nn.init.uniform_(linear.bias, -bound, bound, generator=gen)")
    stack = [names[0]] + [part for name in names[1:] for part in (act_name, name)]
    add(f"\n# model\nmodel = torch.nn.Sequential({', '.join(stack)}).to(device)\n")
    add("# define cost/loss & optimizer")
    add("criterion = torch.nn.CrossEntropyLoss().to(device)    # Softmax is internally computed.")
    if sparse:
        beta_args = _optimizer_args("sparseadam", cfg.opt_params)
        add(f"sparse_opt = torch.optim.SparseAdam([{names[0]}.bag.weight], {beta_args})")
        add("dense = [p for n, p in model.named_parameters() if not n.endswith('bag.weight')]")
        add(f"dense_opt = torch.optim.Adam(dense, {beta_args})")
        add("optimizers = [sparse_opt, dense_opt]")
    else:
        cls = OPTIMIZERS[cfg.optimizer].cls_name
        args = _optimizer_args(cfg.optimizer, cfg.opt_params)
        add(f"optimizer = torch.optim.{cls}(model.parameters(), {args})")
    add(_loop(cfg))
    return "\n".join(lines) + "\n"


def _loop(cfg: RunConfig) -> str:
    """The lesson's epoch loop over a seeded permutation, then the test accuracy."""
    if OPTIMIZERS[cfg.optimizer].needs_closure:  # LBFGS re-evaluates the cost inside step()
        step = ["def closure():", "    optimizer.zero_grad()", "    cost = criterion(model(X), Y)",
                "    cost.backward()", "    return cost", "",
                "cost = optimizer.step(closure)  # the cost before this step's update"]
    elif cfg.optimizer == "sparseadam":  # two optimizers, stepped together
        step = ["for opt in optimizers:", "    opt.zero_grad()", "hypothesis = model(X)",
                "cost = criterion(hypothesis, Y)", "cost.backward()", "for opt in optimizers:",
                "    opt.step()"]
    else:
        step = ["optimizer.zero_grad()", "hypothesis = model(X)", "cost = criterion(hypothesis, Y)",
                "cost.backward()", "optimizer.step()"]
    augment = ["X = random_affine(X, augment_gen)"] if cfg.augment else []
    augment_gen = f"\naugment_gen = torch.Generator().manual_seed({cfg.seed + 1})" if cfg.augment else ""
    body = (["idx = perm[i * batch_size:(i + 1) * batch_size]",
             "X = X_train[idx].to(device)  # (batch_size, 784)", "Y = Y_train[idx].to(device)"]
            + augment + [""] + step + [
                "", "avg_cost += cost.item() / total_batch", "step += 1",
                "if step == 1 or step % 100 == 0:",
                "    print('Step:', step, 'cost =', '{:.9f}'.format(cost.item()))",
                "if step == args.max_steps:", "    break"])
    head = f"""
# batch order: its own generator seeded with the seed, one shuffle per epoch, last partial batch dropped
order = torch.Generator().manual_seed({cfg.seed}){augment_gen}
total_batch = len(X_train) // batch_size
step = 0
for epoch in range(training_epochs):
    avg_cost = 0
    perm = torch.randperm(len(X_train), generator=order)
    for i in range(total_batch):
"""
    tail = """    print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.9f}'.format(avg_cost))
    if step == args.max_steps:
        break
print('Learning finished')

# Test the model using test sets (pixels / 255, as in training)
model.eval()
with torch.no_grad():
    X_test = mnist_test.data.view(-1, 28 * 28).float().div(255).to(device)
    Y_test = mnist_test.targets.to(device)
    prediction = model(X_test)
    correct_prediction = torch.argmax(prediction, 1) == Y_test
    accuracy = correct_prediction.float().mean()
    print('Accuracy:', accuracy.item())"""
    return head + "\n".join(("        " + line) if line else "" for line in body) + "\n" + tail
