#!/usr/bin/env bash
# Regenerates the sample files in examples/media/ from scratch.
#
# Everything here is synthesised by the tools themselves (gradients, noise,
# test patterns, sine tones, text), so nothing is copied from anywhere.
# This script documents where the files came from; CI does not run it.
#
# Requirements (Debian/Ubuntu):
#   apt-get install -y ffmpeg imagemagick ghostscript fonts-dejavu-core
#
# Usage:  bash examples/make_media.sh        (run from anywhere)
#
# Output is close to the committed files but not byte-identical: encoders
# embed version strings and timestamps.
set -euo pipefail

cd "$(dirname "$0")"
OUT=media
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf

mkdir -p "$OUT/images/banners" "$OUT/video" "$OUT/audio" "$OUT/docs"

# --- images ---------------------------------------------------------------

# PNG: sky gradient with a sun and a dark "sea" band, plus light noise so it
# isn't trivially compressible.
convert -size 400x250 gradient:'#2b1055'-'#ff7e5f' \
  -fill '#ffd26f' -draw 'circle 200,170 200,120' \
  -fill '#1b1b3a' -draw 'rectangle 0,190 400,250' \
  -seed 7 -attenuate 0.15 +noise Gaussian \
  -depth 8 -colors 192 -strip "PNG8:$OUT/images/sunset.png"

# JPEG: a seeded plasma fractal, blurred a bit, with a caption.
convert -seed 42 -size 480x320 plasma:'#6a9fb5'-'#e8c39e' \
  -blur 0x1.5 \
  -font "$FONT" -pointsize 28 -fill white -stroke '#00000080' \
  -gravity south -annotate +0+16 'The Team' \
  -strip -quality 82 -sampling-factor 4:2:0 \
  "$OUT/images/team-photo.jpg"

# WebP: banner with a diagonal gradient and text.
convert -size 600x200 -define gradient:angle=135 gradient:'#a8e063'-'#56ab2f' \
  -font "$FONT" -fill white -pointsize 56 -gravity center \
  -annotate +0-10 'Spring Sale' \
  -pointsize 24 -annotate +0+50 'up to 30% off' \
  -strip -quality 90 "$OUT/images/banners/spring-sale.webp"

# Animated GIF: 8-frame spinner (a dot orbiting the centre).
frames=()
for i in 0 1 2 3 4 5 6 7; do
  x=$(awk -v i="$i" 'BEGIN{printf "%d", 48 + 30*cos(i*3.14159265/4)}')
  y=$(awk -v i="$i" 'BEGIN{printf "%d", 48 + 30*sin(i*3.14159265/4)}')
  frames+=( \( -size 96x96 xc:'#f4f4f4' \
              -fill none -stroke '#cccccc' -strokewidth 4 -draw 'circle 48,48 48,18' \
              -fill '#e4572e' -stroke none -draw "circle $x,$y $((x + 9)),$y" \) )
done
convert -delay 10 -loop 0 "${frames[@]}" \
  -seed 3 -attenuate 0.3 +noise Uniform \
  -colors 64 "$OUT/images/banners/loading.gif"

# --- video ----------------------------------------------------------------

# MP4: 2 s of ffmpeg's testsrc2 pattern, 320x180 @ 24 fps, H.264 + AAC tone.
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i 'testsrc2=size=320x180:rate=24:duration=2' \
  -f lavfi -i 'sine=frequency=440:sample_rate=44100:duration=2' \
  -c:v libx264 -profile:v baseline -pix_fmt yuv420p -crf 30 -preset veryslow \
  -c:a aac -b:a 48k -ac 1 \
  -movflags +faststart -map_metadata -1 \
  "$OUT/video/intro.mp4"

# --- audio ----------------------------------------------------------------

# MP3: 1.5 s two-note chime (E6 then C6, each with a decaying envelope).
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "aevalsrc='0.5*sin(2*PI*1318.5*t)*exp(-4*t)*lt(t,0.6)+0.5*sin(2*PI*1046.5*(t-0.5))*exp(-3*(t-0.5))*gte(t,0.5)':s=44100:d=1.5" \
  -c:a libmp3lame -b:a 128k -ac 1 \
  -metadata title='Chime' -metadata artist='mediasync examples' \
  "$OUT/audio/chime.mp3"

# WAV: 1 s 1 kHz beep, 16-bit PCM mono @ 22.05 kHz (~44 KB).
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i 'sine=frequency=1000:sample_rate=22050:duration=1' \
  -af 'volume=0.5,afade=t=in:d=0.01,afade=t=out:st=0.95:d=0.05' \
  -c:a pcm_s16le -ac 1 -map_metadata -1 -fflags +bitexact \
  "$OUT/audio/beep.wav"

# --- docs -----------------------------------------------------------------

# PDF: a two-page price list written in PostScript, converted by Ghostscript.
PS_SRC=$(mktemp --suffix=.ps)
cat > "$PS_SRC" <<'EOF'
%!PS-Adobe-3.0
%%Title: Price List
%%Pages: 2
%%EndComments
%%Page: 1 1
/Helvetica-Bold findfont 28 scalefont setfont
72 720 moveto (Price List) show
/Helvetica findfont 12 scalefont setfont
72 700 moveto (Sample document for the mediasync examples folder.) show
72 690 moveto 540 690 lineto 0.5 setlinewidth stroke
/row { % (item) (price) y row
  /y exch def /p exch def /it exch def
  72 y moveto it show
  p stringwidth pop 540 exch sub y moveto p show
} def
/Helvetica-Bold findfont 13 scalefont setfont
(Item) (Price) 665 row
/Helvetica findfont 13 scalefont setfont
(Starter plan - 1 user) (USD 19.00) 640 row
(Team plan - 5 users) (USD 79.00) 620 row
(Agency plan - unlimited users) (USD 249.00) 600 row
(Extra storage - 50 GB) (USD 9.00) 580 row
(Onboarding session - 1 hour) (USD 120.00) 560 row
72 545 moveto 540 545 lineto stroke
/Helvetica-Oblique findfont 10 scalefont setfont
72 520 moveto (Prices are illustrative only. This file is free to use.) show
showpage
%%Page: 2 2
/Helvetica-Bold findfont 20 scalefont setfont
72 720 moveto (Terms) show
/Times-Roman findfont 12 scalefont setfont
/ty 695 def
[ (1. Plans are billed monthly and can be cancelled at any time.)
  (2. Storage add-ons apply to the whole account.)
  (3. Onboarding sessions are booked in one-hour blocks.)
  (4. All prices exclude applicable taxes.) ]
{ 72 ty moveto show /ty ty 18 sub def } forall
showpage
%%EOF
EOF
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -dCompatibilityLevel=1.4 \
  -dPDFSETTINGS=/prepress -dEmbedAllFonts=true -dSubsetFonts=true \
  -sPAPERSIZE=letter -sOutputFile="$OUT/docs/price-list.pdf" "$PS_SRC"
rm -f "$PS_SRC"

ls -lR "$OUT"
