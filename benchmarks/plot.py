"""The throughput plot: requests per second of every configuration of figures 4 and 5."""

# Figure without pyplot: no display, no global state, the file only.
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


def throughput(throughput_summary, scale_summary, path, title):
    """Draw medians with min–max whiskers, one bar per configuration; save a PNG at path."""
    groups = [("Figure 4: engines vs baseline", throughput_summary, "tab:blue")]
    groups.append(("Figure 5: instances and workers (cached_db)", scale_summary, "tab:orange"))
    labels, medians, lows, highs, colours = [], [], [], [], []
    for _, summary, colour in groups:
        for label, result in summary.items():
            labels.append(label)
            medians.append(result["rate"].median)
            lows.append(result["rate"].median - result["rate"].low)
            highs.append(result["rate"].high - result["rate"].median)
            colours.append("tab:gray" if label.startswith("startproject") else colour)
    figure = Figure(figsize=(9, 0.45 * len(labels) + 1.6))
    axes = figure.subplots()
    positions = range(len(labels))
    axes.barh(positions, medians, xerr=[lows, highs], color=colours, capsize=3)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("signed-in requests per second (median, min–max over rounds)")
    axes.set_title(title, fontsize=10)
    # Labels past the whisker, where no bar or whisker hides them.
    for position, median, high in zip(positions, medians, highs, strict=True):
        axes.text(median + high, position, f"  {median:.0f}", va="center", fontsize=8)
    baseline = next(
        (median for label, median in zip(labels, medians, strict=True) if label.startswith("startproject")), None
    )
    if baseline is not None:
        axes.axvline(baseline, color="tab:gray", linestyle="--", linewidth=1)
    axes.set_xlim(0, max(median + high for median, high in zip(medians, highs, strict=True)) * 1.12)
    handles = [Rectangle((0, 0), 1, 1, color=colour) for _, _, colour in groups]
    handles.append(Rectangle((0, 0), 1, 1, color="tab:gray"))
    names = [name for name, _, _ in groups] + ["startproject baseline"]
    axes.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=8, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
