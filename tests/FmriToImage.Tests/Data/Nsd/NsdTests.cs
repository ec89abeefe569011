using FmriToImage.Data.Nsd;

namespace FmriToImage.Tests.Data.Nsd;

public class NsdTests
{
    [Fact]
    public void Trial_numbering()
    {
        Assert.Equal(0, NsdLayout.GlobalTrialIndex(1, 1));
        Assert.Equal(750 + 9, NsdLayout.GlobalTrialIndex(2, 10));
        Assert.Equal((2, 10), NsdLayout.SessionOf(759));
        Assert.Throws<ArgumentOutOfRangeException>(() => NsdLayout.GlobalTrialIndex(1, 751));
    }

    [Fact]
    public void Paths_follow_the_nsd_layout()
    {
        Assert.Equal(Path.Combine("/d", "nsddata_betas", "ppdata", "subj01", "func1pt8mm", "betas_fithrf_GLMdenoise_RR", "betas_session03.hdf5"),
            NsdLayout.SessionBetasPath("/d", 1, 3));
        Assert.EndsWith(Path.Combine("subj02", "func1pt8mm", "roi", "nsdgeneral.nii.gz"), NsdLayout.RoiPath("/d", 2, "nsdgeneral"));
        Assert.EndsWith(Path.Combine("freesurfer", "subj01", "label", "streams.mgz.ctab"), NsdLayout.LabelTablePath("/d", 1, "streams"));
    }

    [Fact]
    public void Percent_signal_change()
    {
        float[] b = [300, -150, 0];
        NsdLayout.ToPercentSignalChange(b);
        Assert.Equal([1f, -0.5f, 0f], b);
    }

    [Fact]
    public void Stimulus_table()
    {
        var table = NsdStimulusTable.Load(DataFixtures.Path("atlas", "nsd_stim_info_merged.csv"));
        Assert.Equal(6, table.ImageCount);
        Assert.Equal([0, 2, 4], table.SharedImages);
        Assert.True(table.TryGetImage(1, 101, out int id));
        Assert.Equal(0, id);
        Assert.True(table.TryGetImage(2, 207, out id));
        Assert.Equal(2, id);
        Assert.False(table.TryGetImage(2, 204, out _)); // image 1 is not shared: not shown to subject 2
        int[] images = table.ImagesOfTrials(1, 103);
        Assert.Equal([0, 0, 0], images[100..103]);
        Assert.Throws<FmriToImageException>(() => NsdStimulusTable.Parse(["a,b"], "bad.csv"));
    }
}
