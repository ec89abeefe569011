namespace FmriToImage.Adaptation;

/// <summary>k contiguous folds over n rows in row order: fold f holds rows ⌊f·n/k⌋ to ⌊(f+1)·n/k⌋ − 1.</summary>
internal static class ContiguousFolds
{
    /// <summary>The first row of fold <paramref name="fold"/> (fold k gives n, the end of the last fold).</summary>
    public static int Start(int fold, int rows, int folds) => (int)((long)fold * rows / folds);
}
