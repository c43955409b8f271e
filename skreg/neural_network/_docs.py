"""Docstring sections shared by the network classifier and regressor.

Each estimator's docstring is ``template.format(**SECTIONS, ...)``; the
placeholders ``{stratified}``, ``{scoring_options}`` and ``{scoring_text}`` are
filled per estimator.
"""

UPDATE_RULE = """\
Biases and batch-norm scale/shift are never penalized.

Update rule. Each mini-batch gives the gradient ``g`` of its loss
(``(n / b) * sum_batch s_i grad loss_i``, unbiased for the weighted mean),
rescaled to norm ``max_grad_norm`` if it is longer, plus the L2 part
``alpha * (1 - l1_ratio) * w``. Then, per weight:

* ``solver="adam"``: ``m <- beta_1 m + (1 - beta_1) g``,
  ``v <- beta_2 v + (1 - beta_2) g^2``, with bias-corrected ``m_hat``,
  ``v_hat`` the step actually taken is ``eta_j = lr / (sqrt(v_hat_j) + epsilon)``
  and ``w_j <- S(w_j - eta_j * m_hat_j, eta_j * alpha * l1_ratio)``;
* ``solver="sgd"``: ``u <- momentum * u - lr * g``, ``w <- w + u`` (or the
  Nesterov form ``w <- w + momentum * u - lr * g``), then
  ``w_j <- S(w_j, lr * alpha * l1_ratio)``;

where ``S(x, c) = sign(x) * max(|x| - c, 0)`` is soft-thresholding (the
prox of ``c |x|``). Thresholding with Adam's own per-weight step (not
``lr * alpha``) is what produces exact zeros under Adam. With
``group_alpha``, each row ``j`` of ``coefs_[0]`` (input ``j``'s outgoing
weights, one group) then gets the group prox, block soft-thresholding
``W_0[j] <- W_0[j] * max(1 - eta_j * group_alpha / ||W_0[j]||_2, 0)``,
which disconnects whole inputs; ``eta_j`` is ``lr`` for SGD and, for Adam,
one step per row: ``lr / (sqrt(mean_k v_hat[j, k]) + epsilon)``, Adam's step
for the row's mean second moment (between its weights' smallest and largest
steps). After the prox,
if ``max_norm`` is set, every unit's incoming weight vector (a column of
each ``coefs_[l]``, output layer included) is projected onto the ball of
radius ``max_norm``. With plain full-batch SGD (``momentum=0``, no
dropout/noise, no clipping) the fixed points are exactly those of proximal
gradient descent on ``F``."""

PARAMETERS = """\
hidden_layer_sizes : array-like of int, default=(100,)
    Number of units of each hidden layer.
activation : {{"relu", "tanh", "logistic"}}, default="relu"
    Activation of the hidden layers.
penalty : {{"l2", "l1", "elasticnet"}} or None, default="l2"
    Penalty on the weight matrices. ``None`` means no penalty.
alpha : float, default=1e-4
    Penalty strength (lambda), ``>= 0``.
l1_ratio : float, default=0.15
    Elastic-net mixing, ``0 <= l1_ratio <= 1``; used with
    ``penalty="elasticnet"`` only.
solver : {{"adam", "sgd"}}, default="adam"
    Optimizer of the smooth part.
learning_rate_init : float, default=1e-3
    Step size ``lr`` (constant).
momentum : float, default=0.9
    Momentum of ``solver="sgd"``.
nesterovs_momentum : bool, default=True
    Nesterov momentum for ``solver="sgd"``.
beta_1, beta_2 : float, default=0.9, 0.999
    Adam's decay rates of the first and second moment estimates.
epsilon : float, default=1e-8
    Adam's denominator offset.
batch_size : int or "auto", default="auto"
    Mini-batch size; ``"auto"`` is ``min(200, n_samples)``. Clipped to the
    number of training samples. A batch that covers the whole training
    set makes the solver full-batch and independent of the row order.
max_iter : int, default=200
    Maximum number of epochs.
tol : float, default=1e-4
    Improvement threshold of the stopping rule: training stops when the
    training objective (or, with ``early_stopping``, the validation score,
    see ``scoring``) has not improved by ``tol`` for more than
    ``n_iter_no_change`` consecutive epochs.
n_iter_no_change : int, default=10
    Patience of the stopping rule, in epochs.
shuffle : bool, default=True
    Reshuffle the training rows before each epoch (mini-batches only).
random_state : int, RandomState instance or None, default=None
    Seeds the initialization, the shuffling, the validation split, the
    dropout masks and the input noise. An int gives the same model bit
    for bit.
warm_start : bool, default=False
    Continue from the previous fit's weights and optimizer state.
verbose : bool, default=False
    Print the loss (and validation score) of every epoch.
dropout : float or array-like of float, default=0.0
    Dropout rate ``p`` of the hidden layers' outputs: one rate for every
    hidden layer or one per hidden layer, ``0 <= p < 1``. Inverted
    dropout: kept units are scaled by ``1 / (1 - p)`` at training time;
    nothing is dropped at predict time.
input_dropout : float, default=0.0
    Dropout rate of the input features (same rules as ``dropout``).
max_norm : float or None, default=None
    If set, after every step each unit's incoming weight vector is
    projected onto the Euclidean ball of this radius.
max_grad_norm : float or None, default=None
    If set, every mini-batch gradient of the loss (all parameters
    together; the L2 penalty's part is added after) whose Euclidean norm
    exceeds this value is rescaled to it before the optimizer step
    (gradient clipping, against exploding gradients).
group_alpha : float, default=0.0
    Strength of the group-lasso penalty on the first layer,
    ``group_alpha * sum_j ||W_0[j, :]||_2``: each input's outgoing weights
    form a group, and an input whose group reaches exactly zero is
    disconnected (feature selection inside the network, see
    ``input_support_``, ``feature_importances_`` and :meth:`group_path`).
    Standardize dense inputs first. A large value fitted from the random
    initialization can disconnect every input before the network learns;
    ``group_path`` approaches it from the less penalized end.
batch_norm : bool, default=False
    Batch normalization of every hidden layer's pre-activations (before
    the activation). Training uses the (weighted) batch statistics and
    updates running averages (momentum 0.1, variance floor 1e-5); predict
    uses the running averages. The hidden layers' biases are then
    redundant and kept at zero; the learnt shift is in
    ``batch_norm_shifts_``.
input_noise : float, default=0.0
    Standard deviation of the Gaussian noise added to the inputs at
    training time (data augmentation). For sparse input the noise is
    added to the stored entries only, so sparsity is kept.
early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the training data, score the
    network on it after every epoch (``scoring``), stop after more than
    ``n_iter_no_change`` epochs without an improvement of ``tol``, and
    restore the weights of the best epoch. Ignored by ``partial_fit``.
validation_fraction : float, default=0.1
    Share of the training weight held out for early stopping. The split
    is made on the rows' content (identical rows fall on the same side),
    so that integer sample weights equal repetition{stratified}.
scoring : {scoring_options} or None, default=None
    Validation score of early stopping (higher is better), weighted by the
    held-out sample weights. {scoring_text}"""

ATTRIBUTES = """\
coefs_ : list of ndarray
    ``coefs_[l]`` is the weight matrix from layer ``l`` to layer ``l + 1``,
    of shape ``(n_units_l, n_units_{{l+1}})``; column ``k`` is unit ``k``'s
    incoming weight vector. Same float dtype as the training data.
intercepts_ : list of ndarray
    Bias vectors (zero for hidden layers with ``batch_norm``).
batch_norm_scales_, batch_norm_shifts_ : list of ndarray
    Batch-norm ``gamma`` and ``beta`` of every hidden layer (empty lists
    without ``batch_norm``).
batch_norm_running_means_, batch_norm_running_vars_ : list of ndarray
    Running batch statistics used at predict time.
input_support_ : ndarray of bool of shape (n_features_in_,)
    Inputs still connected: row ``j`` of ``coefs_[0]`` has a non-zero
    weight.
feature_importances_ : ndarray of shape (n_features_in_,)
    Group norms ``||coefs_[0][j, :]||_2`` normalized to sum to 1 (all zero
    if no input is connected); 0 exactly for the disconnected inputs, so
    ``sklearn.feature_selection.SelectFromModel`` selects on them.
n_zero_weights_ : int
    Number of weights (entries of ``coefs_``) that are exactly 0.0.
zero_weight_fraction_ : float
    ``n_zero_weights_`` over the number of weights.
n_iter_ : int
    Number of epochs run by the last call: by ``fit`` (also with
    ``warm_start``), or 1 after ``partial_fit``, as scikit-learn's MLP
    estimators report it. ``loss_curve_`` and ``t_`` accumulate over
    continued fits.
t_ : int
    Number of training samples seen by the solver.
loss_ : float
    Training objective ``F`` of the last epoch (loss averaged over the
    epoch's mini-batches, with dropout/noise active, plus the penalty).
loss_curve_ : list of float
    ``loss_`` of every epoch.
best_loss_ : float or None
    Best ``loss_`` (None with early stopping).
validation_scores_ : list of float or None
    Validation score (``scoring``) of every epoch (None without early
    stopping).
best_validation_score_ : float or None
    Best validation score of the last fit: the returned weights are that
    epoch's.
n_layers_ : int
    Number of layers, input and output included.
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of str
    Feature names, when ``X`` has string column names."""

NOTES = """\
The dtype of ``X`` (float32 or float64) is the training dtype: float32
input trains in float32 (half the GEMM cost). Sparse input is read as
CSR; the first layer is a sparse-dense product and is never densified.

Randomness (dropout masks, input noise) is drawn from a counter-based
generator keyed by the seed, the epoch, the layer and a hash of the
row's content. Two identical rows in an epoch therefore share their
masks; in exchange a row of integer weight ``k`` is exactly ``k``
repeated rows, and the same ``random_state`` reproduces a fit bit for bit.
With a batch covering the whole training set (the default ``"auto"`` on
fewer than 200 samples) weighted and repeated fits coincide.

A fit whose loss becomes non-finite raises a ``ValueError`` naming
``learning_rate_init`` and leaves the previous fitted state untouched.
Prediction raises a ``ValueError`` for rows whose values overflow the
network's arithmetic (the output would be undefined).

Threads: there is no ``n_jobs``. As in scikit-learn's MLP, the number of
threads follows the BLAS thread pool as configured (e.g. by
``threadpoolctl.threadpool_limits``; one thread while other fits run in
the process). When it allows two or more, the work is shared by two
threads, each running one-thread BLAS (threaded BLAS on mini-batch sized
products stalls whenever another process holds a core): a mini-batch
holding enough work (rows x weights >= 2**24) has its forward and
backward passes cut into two halves of rows, then its weight gradients
into two blocks of each weight matrix's rows, each thread updating the
weights whose gradient it computed: the one-thread step up to the
rounding of differently blocked products. Predictions on 1024 rows or
more share their chunks of 512 rows between the two threads. Batch norm (its statistics need the
whole batch) and smaller mini-batches are not split: mini-batches of at
most 256 rows then train with BLAS limited to one thread, larger ones
with the BLAS thread pool as configured."""

SECTIONS = dict(update_rule=UPDATE_RULE, parameters=PARAMETERS, attributes=ATTRIBUTES,
                notes=NOTES)


def compose(template, **fill):
    """``template`` with the shared sections, themselves filled with ``fill``, indented."""
    def indent(text):
        return "\n".join(("    " + line) if line else "" for line in text.split("\n"))

    sections = {k: indent(v.format(**fill)).lstrip() for k, v in SECTIONS.items()}
    return template.format(**sections)
