using FmriToImage.Evaluation;
using FmriToImage.Imaging;
using FmriToImage.Retrieval;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The job's metric table: every metric for the final images and, computed in the same run against the same ground
/// truths, for the low-level images alone, the mean training image (a reconstruction that ignores the brain), and
/// shuffled pairs (each final image scored against another trial's ground truth: chance). Then retrieval top-1 at
/// 300-way (30 draws) and at the whole set (one draw).
/// </summary>
internal static class RunEvaluation
{
    /// <summary>The columns of every row, in order.</summary>
    public static readonly string[] Columns = ["final", "low_level", "mean_training_image", "chance"];

    /// <summary>Images per image-encoder run (one run for 300 images could exhaust memory with a real CLIP).</summary>
    private const int ImageEmbeddingBatch = 16;

    /// <summary>Scores <paramref name="rows"/> (all with ground truth).</summary>
    /// <param name="decoder">The decoder (its image encoder gives the bundle-encoder identification, its voxel encoder retrieval).</param>
    /// <param name="trials">The trials, for their voxels.</param>
    /// <param name="rows">The finished trials, each with a ground truth.</param>
    /// <param name="evaluator">The metric table's evaluator (with or without evaluation networks).</param>
    /// <param name="meanImage">The mean training image, or null (its column is then empty).</param>
    /// <param name="seed">Seeds the shuffled pairs and the retrieval draws.</param>
    /// <param name="noRetrieval">Why the bundle cannot compute retrieval, or null.</param>
    /// <param name="notes">Receives what could not be computed.</param>
    /// <param name="cancellationToken">Cancels between network runs.</param>
    /// <returns>The table and the per-trial values.</returns>
    public static EvaluationResult Run(BrainDecoder decoder, TrialSet trials, IReadOnlyList<ReportTrial> rows, ReconstructionEvaluator evaluator, RgbImage? meanImage, ulong seed, string? noRetrieval, List<string> notes, CancellationToken cancellationToken)
    {
        var count = rows.Count;
        var truths = evaluator.Prepare(rows.Select(r => r.Truth!).ToArray(), cancellationToken);
        var finals = evaluator.Prepare(rows.Select(r => r.Final).ToArray(), cancellationToken);
        var lowLevels = rows.All(r => r.LowLevel is not null) ? evaluator.Prepare(rows.Select(r => r.LowLevel!).ToArray(), cancellationToken) : null;
        if (lowLevels is null)
        {
            notes.Add("No low-level column: the pipeline did not save a low-level image for every trial.");
        }

        var means = meanImage is null ? null : evaluator.Prepare([meanImage], cancellationToken).Select(new int[count]);
        if (meanImage is null)
        {
            notes.Add("No mean-training-image column: pass --mean-image (the mean of the training stimuli) to compute it.");
        }

        var shuffle = Derangement(count, seed);
        var tables = new Dictionary<string, MetricTable?>
        {
            ["final"] = evaluator.Score(truths, finals),
            ["low_level"] = lowLevels is null ? null : evaluator.Score(truths, lowLevels),
            ["mean_training_image"] = means is null ? null : evaluator.Score(truths, means),
            ["chance"] = count >= 2 ? evaluator.Score(truths, finals.Select(shuffle)) : null,
        };

        var rowsOut = new List<EvaluationResult.Row>();
        foreach (var metric in tables["final"]!.Metrics)
        {
            rowsOut.Add(new(metric.Key, metric.Name, metric.HigherIsBetter, Columns.ToDictionary(c => c, c => tables[c]?[metric.Key]?.Value is { } v && double.IsFinite(v) ? v : (double?)null)));
        }

        foreach (var missing in FeatureMetric.MindEye.Where(m => evaluator.FeatureMetrics.All(f => f.Key != m.Key)))
        {
            rowsOut.Add(new(missing.Key, missing.Name, !missing.IsCorrelationDistance, Columns.ToDictionary(c => c, _ => (double?)null)));
        }

        if (evaluator.FeatureMetrics.Count < FeatureMetric.MindEye.Count)
        {
            notes.Add(evaluator.FeatureMetrics.Count == 0
                ? "No AlexNet/Inception/CLIP/EffNet/SwAV metrics: pass --evaluation-bundle (models/export/eval_networks.py builds one)."
                : $"The evaluation bundle lacks {string.Join(", ", FeatureMetric.MindEye.Where(m => evaluator.FeatureMetrics.All(f => f.Key != m.Key)).Select(m => m.Name))}.");
        }

        var perTrial = Enumerable.Range(0, count).Select(i => new Dictionary<string, double?>()).ToArray();
        foreach (var metric in tables["final"]!.Metrics)
        {
            for (var i = 0; i < count; i++)
            {
                perTrial[i][metric.Key] = double.IsFinite(metric.PerPair[i]) ? metric.PerPair[i] : null;
            }
        }

        var encoderRow = BundleEncoderIdentification(decoder, rows, meanImage, shuffle, perTrial, notes);
        if (encoderRow is not null)
        {
            rowsOut.Add(encoderRow);
        }

        var (retrieval, retrievalFull) = noRetrieval is null && count >= 2 && decoder.CanEmbedImages
            ? Retrieval(decoder, trials, rows, seed, notes)
            : (null, null);
        if (noRetrieval is not null)
        {
            notes.Add($"No retrieval: {noRetrieval}.");
        }

        return new EvaluationResult(rowsOut, perTrial, retrieval, retrievalFull);
    }

    /// <summary>A permutation with no fixed point (every trial gets another trial's ground truth), seeded.</summary>
    internal static int[] Derangement(int count, ulong seed)
    {
        if (count < 2)
        {
            return [.. Enumerable.Range(0, count)];
        }

        // Sattolo's algorithm: a uniformly random single cycle, which has no fixed point.
        var order = Enumerable.Range(0, count).ToArray();
        var random = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        for (var i = count - 1; i > 0; i--)
        {
            var j = random.Next(i);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }

    private static EvaluationResult.Row? BundleEncoderIdentification(BrainDecoder decoder, IReadOnlyList<ReportTrial> rows, RgbImage? meanImage, int[] shuffle, Dictionary<string, double?>[] perTrial, List<string> notes)
    {
        if (!decoder.CanEmbedImages)
        {
            notes.Add("No two-way identification in the bundle's own image-encoder space: the bundle has no image encoder.");
            return null;
        }

        if (rows.Count < 2)
        {
            return null;
        }

        var truth = Embed(decoder, rows.Select(r => r.Truth!));
        var final = Embed(decoder, rows.Select(r => r.Final));
        var dimension = truth.Length / rows.Count;
        var perFinal = TwoWayIdentification.PerReconstruction(truth, final, dimension);
        for (var i = 0; i < rows.Count; i++)
        {
            perTrial[i]["two_way_bundle_encoder"] = perFinal[i];
        }

        double? lowLevel = rows.All(r => r.LowLevel is not null) ? TwoWayIdentification.Compute(truth, Embed(decoder, rows.Select(r => r.LowLevel!)), dimension) : null;
        double? mean = meanImage is null ? null : TwoWayIdentification.Compute(truth, Enumerable.Repeat(Embed(decoder, [meanImage]), rows.Count).SelectMany(e => e).ToArray(), dimension);
        var shuffled = shuffle.SelectMany(i => final.AsSpan(i * dimension, dimension).ToArray()).ToArray();
        return new("two_way_bundle_encoder", "two-way identification (bundle image encoder)", true, new Dictionary<string, double?>
        {
            ["final"] = perFinal.Average(),
            ["low_level"] = lowLevel,
            ["mean_training_image"] = mean,
            ["chance"] = TwoWayIdentification.Compute(truth, shuffled, dimension),
        });
    }

    private static (EvaluationResult.Retrieval? Pool300, EvaluationResult.Retrieval? Full) Retrieval(BrainDecoder decoder, TrialSet trials, IReadOnlyList<ReportTrial> rows, ulong seed, List<string> notes)
    {
        float[] brain;
        try
        {
            var subject = rows.Select(r => r.Result.Settings?.Subject).FirstOrDefault(s => s is not null);
            var picked = rows.Select(r => r.Row).ToArray();
            brain = rows[0].Result.Settings?.RepetitionAveraging == FmriToImage.Reconstructions.RepetitionAveraging.Outputs && trials.Repeats is not null
                ? trials.RepeatAveragedEmbedding(decoder, picked, subject)
                : decoder.EmbedBrain(trials.Voxels.SelectRows(picked), subject);
        }
        catch (Exception e) when (e is FmriToImage.Bundle.BundleComponentMissingException or FmriToImage.Bundle.BundleContractException)
        {
            notes.Add($"No retrieval: {e.Message}");
            return (null, null);
        }

        var images = Embed(decoder, rows.Select(r => r.Truth!));
        var dimension = images.Length / rows.Count;
        if (brain.Length != images.Length)
        {
            notes.Add($"No retrieval: the brain embedding has {brain.Length / rows.Count} values, the image encoder's {dimension}; they are not one space.");
            return (null, null);
        }

        var retrievalSeed = unchecked((int)seed);
        EvaluationResult.Retrieval? pool300 = null;
        if (rows.Count >= 300)
        {
            var accuracy = RetrievalProtocol.TopOne(brain, images, dimension, way: 300, draws: 30, seed: retrievalSeed);
            pool300 = new(300, 30, accuracy.BrainToImage, accuracy.ImageToBrain, accuracy.Chance);
        }
        else
        {
            notes.Add($"No 300-way retrieval: {rows.Count} trials (it needs at least 300); the full-set retrieval is {rows.Count}-way.");
        }

        var full = RetrievalProtocol.TopOne(brain, images, dimension, way: rows.Count, draws: 1, seed: retrievalSeed);
        return (pool300, new(rows.Count, 1, full.BrainToImage, full.ImageToBrain, full.Chance));
    }

    private static float[] Embed(BrainDecoder decoder, IEnumerable<RgbImage> images) =>
        images.Chunk(ImageEmbeddingBatch).SelectMany(decoder.EmbedImages).ToArray();
}
