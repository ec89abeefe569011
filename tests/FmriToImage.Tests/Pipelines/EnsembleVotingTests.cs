using System.Text.Json;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Pipelines;

public sealed class EnsembleVotingTests
{
    [Fact]
    public void Voting_scores_each_model_by_its_own_low_level_to_final_similarity_as_numpy_does()
    {
        // Reference: tests/fixtures/retrieval/make_retrieval_fixtures.py (float64 NumPy).
        var expected = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("retrieval", "expected.json"))).RootElement;
        float[] Floats(string name) => expected.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

        var scores = new float[4];
        var winner = EnsembleVoting.Vote(Floats("vote_low"), Floats("vote_final"), 8, scores);
        Assert.Equal(expected.GetProperty("vote_winner").GetInt32(), winner);
        var reference = expected.GetProperty("vote_scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var m = 0; m < 4; m++)
        {
            Assert.Equal(reference[m], scores[m], 5);
        }
    }

    [Fact]
    public void Best_of_n_picks_the_candidate_closest_to_the_target_and_the_first_of_ties()
    {
        float[] target = [1, 0, 0];
        float[] candidates = [0, 1, 0, 2, 0.1f, 0, 5, 0.5f, 0, 2, 0.1f, 0];
        var scores = new float[4];
        Assert.Equal(1, EnsembleVoting.SelectClosest(target, candidates, 3, scores));
        Assert.Equal(0f, scores[0]);
        Assert.Equal(scores[1], scores[3]);
        Assert.Throws<ArgumentException>(() => EnsembleVoting.SelectClosest(target, candidates, 3, new float[3]));
    }
}
