"""``guichet-onss-feed``: run the onss-feed service alone."""

from guichet_core.entrypoint import serve
from guichet_onss_feed.bootstrap import SPEC
from guichet_onss_feed.settings import OnssFeedSettings


def main() -> None:
    serve(SPEC, OnssFeedSettings())


if __name__ == "__main__":
    main()
