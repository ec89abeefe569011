namespace FmriToImage.Retrieval;

/// <summary>One retrieved candidate.</summary>
/// <param name="Index">The candidate's row in the index.</param>
/// <param name="Score">Its cosine similarity with the query, in [−1, 1].</param>
public readonly record struct RetrievalHit(int Index, float Score);
