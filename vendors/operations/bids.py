"""Operations of bids."""
