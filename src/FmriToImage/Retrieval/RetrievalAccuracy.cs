namespace FmriToImage.Retrieval;

/// <summary>Top-1 accuracy of an N-way retrieval protocol in both directions, averaged over draws.</summary>
/// <param name="BrainToImage">Image retrieval ("fwd"): the fraction of brain embeddings whose most similar image in the draw is their own.</param>
/// <param name="ImageToBrain">Brain retrieval ("bwd"): the fraction of image embeddings whose most similar brain embedding in the draw is their own.</param>
/// <param name="Way">The candidates per draw (300 in MindEye's protocol).</param>
/// <param name="Draws">The number of random draws averaged (30 in MindEye's protocol).</param>
public sealed record RetrievalAccuracy(double BrainToImage, double ImageToBrain, int Way, int Draws)
{
    /// <summary>The accuracy a random ranking reaches on average: 1 / <see cref="Way"/>.</summary>
    public double Chance => 1.0 / Way;
}
