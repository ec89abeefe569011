using FmriToImage.Imaging;

namespace FmriToImage.Tests.Imaging;

public sealed class ImageGridTests
{
    [Fact]
    public void Lays_out_rows_with_spacing_and_centres_smaller_images()
    {
        var a = Solid(4, 4, 10);
        var b = Solid(2, 2, 20);
        var c = Solid(4, 6, 30);
        RgbImage grid = ImageGrid.Compose([[a, b], [null, c]], spacing: 1, background: (255, 255, 255));

        // Columns 4 and 4 wide, rows 4 and 6 tall, 1 px around and between.
        Assert.Equal((1 + 4 + 1 + 4 + 1, 1 + 4 + 1 + 6 + 1), (grid.Width, grid.Height));
        Assert.Equal((255, 255, 255), grid.GetPixel(0, 0));
        Assert.Equal((10, 10, 10), grid.GetPixel(1, 1));
        Assert.Equal((255, 255, 255), grid.GetPixel(6, 1)); // b is centred: starts at x = 6 + 1
        Assert.Equal((20, 20, 20), grid.GetPixel(7, 2));
        Assert.Equal((255, 255, 255), grid.GetPixel(2, 8)); // missing cell stays background
        Assert.Equal((30, 30, 30), grid.GetPixel(6, 6));
        Assert.Equal((30, 30, 30), grid.GetPixel(9, 11));
    }

    [Fact]
    public void Grid_round_trips_through_png()
    {
        RgbImage grid = ImageGrid.Compose([[Solid(3, 3, 1), Solid(3, 3, 2), Solid(3, 3, 3)]], spacing: 2);
        Assert.Equal(grid.PixelArray, RgbImage.FromPng(grid.ToPng()).PixelArray);
    }

    [Fact]
    public void Empty_grid_is_rejected() =>
        Assert.Throws<ArgumentException>(() => ImageGrid.Compose([[null]]));

    private static RgbImage Solid(int w, int h, byte v)
    {
        var image = new RgbImage(w, h);
        image.Fill(v, v, v);
        return image;
    }
}
