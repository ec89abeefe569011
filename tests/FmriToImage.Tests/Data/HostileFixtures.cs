namespace FmriToImage.Tests.Data;

/// <summary>
/// The hostile files of tests/fixtures/data/hostile (written by tests/fixtures/data/make_hostile_fixtures.py) and a
/// guard that runs a read on its own thread and fails, instead of hanging the test run, when it does not end in time.
/// </summary>
internal static class HostileFixtures
{
    public static string Path(string name) => DataFixtures.Path("hostile", name);

    /// <summary>Runs <paramref name="action"/> and returns what it threw (null when it succeeded); fails when it runs past <paramref name="timeout"/>.</summary>
    public static Exception? Within(TimeSpan timeout, Action action, string what)
    {
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        })
        { IsBackground = true, Name = what };
        thread.Start();
        if (!thread.Join(timeout))
        {
            throw new Xunit.Sdk.XunitException($"{what} did not end within {timeout.TotalMilliseconds} ms (a hang)");
        }

        return thrown;
    }
}
