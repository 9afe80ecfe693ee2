UPDATE complaints SET duplicate_of = :duplicate_of, second_round_of = :second_round_of WHERE id = :id
