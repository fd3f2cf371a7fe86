"""The solvers of the multi-task estimators.

``_sgd``: minibatch SGD with Adam steps (``_sgd_cpu`` on the CPU, its twin
``_sgd_cuda`` on NVIDIA GPUs); ``_adam``: the Adam update both compile.
"""
